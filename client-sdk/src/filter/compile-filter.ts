import {
  ARC_RESULTS,
  DKIM_RESULTS,
  DMARC_RESULTS,
  fieldValues,
  headerValues,
  type MessageFilterParams,
  type MessageSummary,
  SPF_RESULTS,
  type StoredMessage,
  type WireAttachmentFilter,
  type WireFilter,
  type WireHeaderFilter,
} from "@mailnest/protocol";
import type { Message } from "../message/message.js";
import { describeValue, excerpt, formatAddress } from "../util/describe.js";
import type { AttachmentFilter, HeaderFilter, MessageFilter } from "./message-filter.js";
import {
  type CompiledTextMatcher,
  compileTextMatcher,
  isTextMatcher,
  TEXT_MATCHER_EXPECTATION,
} from "./text-matcher.js";

/** One field of a filter. Returns null when the message passes, else why it does not (for error messages). */
export interface FilterCheck {
  readonly field: keyof MessageFilter;
  /** Needs headers, bodies or attachments, which list summaries do not carry. */
  readonly needsFullMessage: boolean;
  run(data: MessageSummary | StoredMessage, message: Message | null): string | null | Promise<string | null>;
}

/** The filter parameters of the server's lists and waits; the cursor (`since`) is the caller's. */
export type ServerQuery = Omit<MessageFilterParams, "since">;

export interface CompiledFilter {
  readonly checks: readonly FilterCheck[];
  /** `subject /Welcome/, from "noreply@"`; "" for an empty filter. */
  readonly description: string;
  /**
   * What the server applies itself: plain substrings and flags as list parameters, and everything
   * but `where` as the `match` parameter (`WireFilter`), so a wait is not answered with messages
   * this side would only throw away.
   */
  readonly serverQuery: ServerQuery;
  /** The `match` part, by top-level key. */
  readonly wire: WireFilter;
  /**
   * Some part runs only in this process (`where`, a RegExp flag the wire cannot carry, a pattern the
   * server refused), so a candidate the server returns may still fail here: waits then read the
   * server's candidates in pages instead of one at a time.
   */
  readonly checkedHereOnly: boolean;
}

/**
 * The same filter without one part on the server (the server refused a pattern its linear-time
 * engine cannot run): that part is then checked here only, on the candidates the server returns.
 */
export function withoutServerPart(filter: CompiledFilter, key: keyof WireFilter): CompiledFilter {
  const { [key]: _dropped, ...wire } = filter.wire;
  const { match: _match, ...plain } = filter.serverQuery;
  const serverQuery: ServerQuery = { ...plain };
  if (key in serverQuery) delete serverQuery[key as keyof ServerQuery];
  return { ...filter, wire, serverQuery: withMatch(serverQuery, wire), checkedHereOnly: true };
}

const VERDICT_WORDS = {
  dkim: DKIM_RESULTS,
  spf: SPF_RESULTS,
  dmarc: DMARC_RESULTS,
  arc: ARC_RESULTS,
} as const;

/** `auth: { dmarc: "fail" }`: one check per method, answered by the summary's `authSummary`. */
function authChecks(auth: unknown, label: string) {
  if (typeof auth !== "object" || auth === null || Array.isArray(auth)) {
    throw new TypeError(`Expected ${label} to be { dkim?, spf?, dmarc?, arc? }; got ${describeValue(auth)}`);
  }
  return Object.entries(auth).map(([method, wanted]) => {
    const words = VERDICT_WORDS[method as keyof typeof VERDICT_WORDS] as readonly string[] | undefined;
    if (words === undefined) {
      throw new TypeError(`Unknown key ${label}.${method}; known: dkim, spf, dmarc, arc`);
    }
    if (typeof wanted !== "string" || !words.includes(wanted)) {
      throw new TypeError(
        `Expected ${label}.${method} to be one of ${words.join(", ")}; got ${describeValue(wanted)}`,
      );
    }
    const key = method as keyof typeof VERDICT_WORDS;
    const check: FilterCheck = {
      field: "auth",
      needsFullMessage: false,
      run: (data) => {
        const found = data.authSummary?.[key];
        if (found === wanted) return null;
        return found === undefined
          ? `${key} has no verdict (the server was not verifying)`
          : `${key}=${found}, not ${wanted}`;
      },
    };
    return { method: key, wanted, check, description: `${key}=${wanted}` };
  });
}

function withMatch(serverQuery: ServerQuery, wire: WireFilter): ServerQuery {
  return Object.keys(wire).length === 0 ? serverQuery : { ...serverQuery, match: JSON.stringify(wire) };
}

const TEXT_FIELDS = ["subject", "from", "to", "cc", "text", "html"] as const;
const KNOWN_KEYS: readonly string[] = [
  ...TEXT_FIELDS,
  "header",
  "hasAttachment",
  "authUser",
  "attachment",
  "auth",
  "where",
];
/**
 * The fields whose plain-substring form means the same on the server (store `MessageFilter`) as
 * here, so sending them narrows the wait without ever hiding a message this filter accepts.
 */
const SERVER_SUBSTRING_FIELDS = ["subject", "from", "to", "text"] as const;

/** Validates a user's filter (a `TypeError` says what was expected) and turns it into checks. */
export function compileFilter(filter: MessageFilter | undefined, label = "filter"): CompiledFilter {
  if (filter === undefined)
    return { checks: [], description: "", serverQuery: {}, wire: {}, checkedHereOnly: false };
  if (typeof filter !== "object" || filter === null || Array.isArray(filter) || filter instanceof RegExp) {
    throw new TypeError(
      `Expected ${label} to be an object such as { subject: /Welcome/ }; got ${describeValue(filter)}`,
    );
  }
  for (const key of Object.keys(filter)) {
    if (!KNOWN_KEYS.includes(key)) {
      throw new TypeError(`Unknown ${label} key "${key}"; expected one of: ${KNOWN_KEYS.join(", ")}`);
    }
  }

  const checks: FilterCheck[] = [];
  const parts: string[] = [];
  const serverQuery: ServerQuery = {};
  const wire: WireFilter = {};
  const wireHeaders: WireHeaderFilter[] = [];
  let headersOnServer = true;
  let checkedHereOnly = false;

  for (const field of TEXT_FIELDS) {
    const value = filter[field];
    if (value === undefined) continue;
    if (!isTextMatcher(value)) {
      throw new TypeError(
        `Expected ${label}.${field} to be ${TEXT_MATCHER_EXPECTATION}; got ${describeValue(value)}`,
      );
    }
    const matcher = compileTextMatcher(value);
    checks.push(textFieldCheck(field, matcher));
    parts.push(`${field} ${matcher.description}`);
    if (matcher.substring !== null && isServerSubstringField(field)) serverQuery[field] = matcher.substring;
    if (matcher.wire !== null) wire[field] = matcher.wire;
    else checkedHereOnly = true;
  }

  if (filter.header !== undefined) {
    const headers = Array.isArray(filter.header) ? filter.header : [filter.header];
    if (headers.length === 0) throw new TypeError(`Expected ${label}.header to name at least one header`);
    headers.forEach((header: unknown, index) => {
      const where = Array.isArray(filter.header) ? `${label}.header[${index}]` : `${label}.header`;
      const check = headerCheck(header, where);
      checks.push(check.check);
      parts.push(check.description);
      if (check.wire === null) headersOnServer = false;
      else wireHeaders.push(check.wire);
    });
    if (headersOnServer) wire.header = wireHeaders;
    else checkedHereOnly = true;
  }

  if (filter.hasAttachment !== undefined) {
    if (typeof filter.hasAttachment !== "boolean") {
      throw new TypeError(
        `Expected ${label}.hasAttachment to be true or false; got ${describeValue(filter.hasAttachment)}`,
      );
    }
    const wanted = filter.hasAttachment;
    checks.push({
      field: "hasAttachment",
      needsFullMessage: false,
      run: (data) =>
        data.attachmentCount > 0 === wanted
          ? null
          : wanted
            ? "has no attachments"
            : `has ${data.attachmentCount} attachment${data.attachmentCount === 1 ? "" : "s"}`,
    });
    parts.push(wanted ? "with attachments" : "without attachments");
    serverQuery.hasAttachment = wanted;
    wire.hasAttachment = wanted;
  }

  if (filter.authUser !== undefined) {
    if (typeof filter.authUser !== "string" || filter.authUser === "") {
      throw new TypeError(
        `Expected ${label}.authUser to be an SMTP AUTH user name; got ${describeValue(filter.authUser)}`,
      );
    }
    const wanted = filter.authUser;
    checks.push({
      field: "authUser",
      needsFullMessage: false,
      run: (data) =>
        data.authUser === wanted
          ? null
          : `authUser ${data.authUser === null ? "(none: not authenticated)" : JSON.stringify(data.authUser)} is not ${JSON.stringify(wanted)}`,
    });
    parts.push(`authUser ${JSON.stringify(wanted)}`);
    serverQuery.authUser = wanted;
    wire.authUser = wanted;
  }

  if (filter.auth !== undefined) {
    for (const part of authChecks(filter.auth, `${label}.auth`)) {
      checks.push(part.check);
      parts.push(part.description);
      // The word was checked against the method's own list above.
      (serverQuery as Record<string, unknown>)[part.method] = part.wanted;
    }
  }

  if (filter.attachment !== undefined) {
    const check = attachmentCheck(filter.attachment, `${label}.attachment`);
    checks.push(check.check);
    parts.push(check.description);
    if (check.wire !== null) wire.attachment = check.wire;
    else checkedHereOnly = true;
  }

  if (filter.where !== undefined) {
    if (typeof filter.where !== "function") {
      throw new TypeError(
        `Expected ${label}.where to be a function (message) => boolean; got ${describeValue(filter.where)}`,
      );
    }
    const predicate = filter.where;
    const name = predicate.name && predicate.name !== "where" ? predicate.name : "predicate";
    checks.push({
      field: "where",
      needsFullMessage: true,
      run: async (_data, message) => {
        if (message === null) throw new Error("where() needs the full message");
        return (await predicate(message)) ? null : `where(${name}) returned false`;
      },
    });
    parts.push(`where(${name})`);
    checkedHereOnly = true;
  }

  return {
    checks,
    description: parts.join(", "),
    serverQuery: withMatch(serverQuery, wire),
    wire,
    checkedHereOnly,
  };
}

function isServerSubstringField(field: string): field is (typeof SERVER_SUBSTRING_FIELDS)[number] {
  return (SERVER_SUBSTRING_FIELDS as readonly string[]).includes(field);
}

function textFieldCheck(field: (typeof TEXT_FIELDS)[number], matcher: CompiledTextMatcher): FilterCheck {
  const needsFullMessage = field === "text" || field === "html";
  return {
    field,
    needsFullMessage,
    run: (data) => {
      const candidates = fieldValues(field, data);
      if (candidates.some((value) => matcher.test(value))) return null;
      return `${field} ${showCandidates(field, data, candidates)} ${matcher.failure}`;
    },
  };
}

function showCandidates(
  field: (typeof TEXT_FIELDS)[number],
  data: MessageSummary | StoredMessage,
  candidates: string[],
): string {
  switch (field) {
    case "subject":
      return JSON.stringify(data.subject);
    case "from":
    case "to":
    case "cc": {
      const shown =
        field === "from" ? data.from.map(formatAddress) : field === "cc" ? data.cc.map(formatAddress) : [];
      if (field === "from" && data.mailFrom) shown.push(`envelope ${data.mailFrom}`);
      if (field === "to") {
        shown.push(...[...data.to, ...data.cc].map(formatAddress));
        if (data.rcptTo.length > 0) shown.push(`envelope ${data.rcptTo.join(", ")}`);
      }
      return shown.length === 0 ? "(none)" : `(${shown.join("; ")})`;
    }
    case "text":
    case "html":
      return candidates.length === 0 ? "(no body)" : `(${JSON.stringify(excerpt(candidates[0] ?? ""))})`;
  }
}

function headerCheck(
  header: unknown,
  label: string,
): { check: FilterCheck; description: string; wire: WireHeaderFilter | null } {
  if (typeof header !== "object" || header === null) {
    throw new TypeError(
      `Expected ${label} to be { name: string, value?: matcher }; got ${describeValue(header)}`,
    );
  }
  const { name, value, ...rest } = header as HeaderFilter & Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) {
    throw new TypeError(`Unknown ${label} key "${unknownKey}"; expected name and value`);
  }
  if (typeof name !== "string" || name.trim() === "") {
    throw new TypeError(
      `Expected ${label}.name to be a header name such as "X-Campaign"; got ${describeValue(name)}`,
    );
  }
  if (value !== undefined && !isTextMatcher(value)) {
    throw new TypeError(
      `Expected ${label}.value to be ${TEXT_MATCHER_EXPECTATION}; got ${describeValue(value)}`,
    );
  }
  const matcher = value === undefined ? null : compileTextMatcher(value);
  const wire: WireHeaderFilter | null =
    matcher === null ? { name } : matcher.wire === null ? null : { name, value: matcher.wire };
  return {
    wire,
    description: matcher ? `header ${name} ${matcher.description}` : `header ${name} present`,
    check: {
      field: "header",
      needsFullMessage: true,
      run: (data) => {
        const values = headerValues(data as StoredMessage, name);
        if (values.length === 0) return `has no ${name} header`;
        if (matcher === null || values.some((entry) => matcher.test(entry))) return null;
        return `header ${name} (${values.map((entry) => JSON.stringify(excerpt(entry))).join(", ")}) ${matcher.failure}`;
      },
    },
  };
}

function attachmentCheck(
  filter: unknown,
  label: string,
): { check: FilterCheck; description: string; wire: WireAttachmentFilter | null } {
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) {
    throw new TypeError(
      `Expected ${label} to be { filename?: matcher, contentType?: matcher }; got ${describeValue(filter)}`,
    );
  }
  const { filename, contentType, ...rest } = filter as AttachmentFilter & Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) {
    throw new TypeError(`Unknown ${label} key "${unknownKey}"; expected filename and contentType`);
  }
  for (const [key, value] of [
    ["filename", filename],
    ["contentType", contentType],
  ] as const) {
    if (value !== undefined && !isTextMatcher(value)) {
      throw new TypeError(
        `Expected ${label}.${key} to be ${TEXT_MATCHER_EXPECTATION}; got ${describeValue(value)}`,
      );
    }
  }
  const byName = filename === undefined ? null : compileTextMatcher(filename);
  const byType = contentType === undefined ? null : compileTextMatcher(contentType);
  const wanted = [byName && `filename ${byName.description}`, byType && `type ${byType.description}`]
    .filter(Boolean)
    .join(", ");
  const wire: WireAttachmentFilter | null =
    byName?.wire === null || byType?.wire === null
      ? null
      : {
          ...(byName === null ? {} : { filename: byName.wire }),
          ...(byType === null ? {} : { contentType: byType.wire }),
        };
  return {
    wire,
    description: wanted ? `attachment { ${wanted} }` : "an attachment",
    check: {
      field: "attachment",
      needsFullMessage: true,
      run: (data) => {
        const attachments = (data as StoredMessage).attachments;
        const found = attachments.some(
          (entry) =>
            (byName === null || (entry.filename !== null && byName.test(entry.filename))) &&
            (byType === null || byType.test(entry.contentType)),
        );
        if (found) return null;
        if (attachments.length === 0)
          return wanted ? `has no attachment (wanted ${wanted})` : "has no attachments";
        const held = attachments.map(
          (entry) => `${JSON.stringify(entry.filename ?? "(unnamed)")} ${entry.contentType}`,
        );
        return `has no attachment with ${wanted} (has ${held.join(", ")})`;
      },
    },
  };
}
