import type { Address, MessageSummary, StoredMessage } from "./message.js";

/**
 * What a filter means, written once. The SDK turns its filters (strings, RegExps, `{ exact }`)
 * into a `WireFilter` and sends it as the `match` parameter of lists and waits; the server
 * evaluates it with a linear-time regular-expression engine; the SDK evaluates the very same
 * rules locally (to explain a timeout, or where the server refused a pattern). Which strings a
 * field offers (`fieldValues`) and how a matcher tests them (`compileTextMatcher`) live only here.
 */

/**
 * How a text value matches:
 * - `contains`: case-insensitive substring;
 * - `exact`: the whole value, case-sensitive;
 * - `regex`: a regular expression (`flags` from "imsu"); the server runs it on RE2, so
 *   lookaround and backreferences are refused with `400 unsupported_pattern`.
 */
export type WireTextMatcher = { contains: string } | { exact: string } | { regex: string; flags?: string };

export interface WireHeaderFilter {
  /** Header name, any case. */
  name: string;
  /** Without a value, the header only has to be present. */
  value?: WireTextMatcher;
}

export interface WireAttachmentFilter {
  filename?: WireTextMatcher;
  contentType?: WireTextMatcher;
}

/** Every given part must hold. */
export interface WireFilter {
  subject?: WireTextMatcher;
  /** A From address or display name, or MAIL FROM. */
  from?: WireTextMatcher;
  /** A To or Cc address or display name, or an envelope recipient (so Bcc too). */
  to?: WireTextMatcher;
  /** A Cc address or display name. */
  cc?: WireTextMatcher;
  /** The message's `visibleText`. */
  text?: WireTextMatcher;
  /** The HTML body's source; a message without HTML never matches. */
  html?: WireTextMatcher;
  /** Each must hold: a header present, or one of its occurrences matching. */
  header?: WireHeaderFilter[];
  /** At least one attachment matches every given part. */
  attachment?: WireAttachmentFilter;
  hasAttachment?: boolean;
  /** The SMTP AUTH user name, exactly. */
  authUser?: string;
}

export const TEXT_FIELDS = ["subject", "from", "to", "cc", "text", "html"] as const;
export type TextField = (typeof TEXT_FIELDS)[number];
const WIRE_FILTER_KEYS = [...TEXT_FIELDS, "header", "attachment", "hasAttachment", "authUser"] as const;
/** Regex flags a wire matcher may carry (`g` and `y` only add state, so clients drop them). */
export const REGEX_FLAGS = "imsu";
/** Longest `match` parameter, as JSON. */
export const MAX_MATCH_LENGTH = 8192;
export const MAX_HEADER_FILTERS = 20;

/** Fields whose values a summary carries; the others need the full message. */
export function needsFullMessage(field: TextField | "header" | "attachment"): boolean {
  return field === "text" || field === "html" || field === "header" || field === "attachment";
}

/**
 * Every string a field offers to a matcher. An address offers its address and its display name;
 * `from` adds MAIL FROM and `to` every envelope recipient.
 */
export function fieldValues(field: TextField, message: FilterableSummary | StoredMessage): string[] {
  switch (field) {
    case "subject":
      return [message.subject];
    case "from":
      return [...addressValues(message.from), ...(message.mailFrom ? [message.mailFrom] : [])];
    case "to":
      return [...addressValues(message.to), ...addressValues(message.cc), ...message.rcptTo];
    case "cc":
      return addressValues(message.cc);
    case "text": {
      const { visibleText } = message as StoredMessage;
      return visibleText ? [visibleText] : [];
    }
    case "html": {
      const { html } = message as StoredMessage;
      return html === null || html === undefined ? [] : [html];
    }
  }
}

export function addressValues(addresses: readonly Address[]): string[] {
  return addresses.flatMap((entry) => (entry.name ? [entry.address, entry.name] : [entry.address]));
}

/** The values of a header (any case), every occurrence. */
export function headerValues(message: StoredMessage, name: string): string[] {
  const wanted = name.trim().toLowerCase();
  return message.headers.filter((line) => line.name.toLowerCase() === wanted).map((line) => line.value);
}

/** A compiled regular expression, from whichever engine the side uses (RegExp, RE2). */
export interface TextTest {
  test(value: string): boolean;
}

export type RegexCompiler = (source: string, flags: string) => TextTest;

export function compileTextMatcher(matcher: WireTextMatcher, regex: RegexCompiler): TextTest {
  if ("contains" in matcher) {
    const needle = matcher.contains.toLowerCase();
    return { test: (value) => value.toLowerCase().includes(needle) };
  }
  if ("exact" in matcher) {
    const expected = matcher.exact;
    return { test: (value) => value === expected };
  }
  return regex(matcher.regex, matcher.flags ?? "");
}

/**
 * What a filter reads of a summary: every field but the snippet, which no filter looks at (the
 * embedded store's index does not keep it in memory).
 */
export type FilterableSummary = Omit<MessageSummary, "snippet">;

/** A wire filter compiled once and applied to many messages. */
export interface CompiledWireFilter {
  /** Whether any part needs the full message (bodies, headers, attachments). */
  readonly needsFullMessage: boolean;
  /** The parts a summary can answer; true when they all hold. */
  matchesSummary(message: FilterableSummary): boolean;
  /** Every part; give the full message when `needsFullMessage`. */
  matches(message: FilterableSummary | StoredMessage): boolean;
}

export function compileWireFilter(filter: WireFilter, regex: RegexCompiler): CompiledWireFilter {
  const summaryChecks: ((message: FilterableSummary) => boolean)[] = [];
  const fullChecks: ((message: StoredMessage) => boolean)[] = [];
  for (const field of TEXT_FIELDS) {
    const matcher = filter[field];
    if (matcher === undefined) continue;
    const test = compileTextMatcher(matcher, regex);
    const check = (message: FilterableSummary) =>
      fieldValues(field, message).some((value) => test.test(value));
    (needsFullMessage(field) ? fullChecks : summaryChecks).push(check);
  }
  if (filter.hasAttachment !== undefined) {
    const wanted = filter.hasAttachment;
    summaryChecks.push((message) => message.attachmentCount > 0 === wanted);
  }
  if (filter.authUser !== undefined) {
    const wanted = filter.authUser;
    summaryChecks.push((message) => message.authUser === wanted);
  }
  for (const header of filter.header ?? []) {
    const value = header.value === undefined ? null : compileTextMatcher(header.value, regex);
    fullChecks.push((message) => {
      const values = headerValues(message, header.name);
      return value === null ? values.length > 0 : values.some((entry) => value.test(entry));
    });
  }
  if (filter.attachment !== undefined) {
    const byName = filter.attachment.filename && compileTextMatcher(filter.attachment.filename, regex);
    const byType = filter.attachment.contentType && compileTextMatcher(filter.attachment.contentType, regex);
    fullChecks.push((message) =>
      message.attachments.some(
        (entry) =>
          (!byName || (entry.filename !== null && byName.test(entry.filename))) &&
          (!byType || byType.test(entry.contentType)),
      ),
    );
  }
  const matchesSummary = (message: FilterableSummary) => summaryChecks.every((check) => check(message));
  return {
    needsFullMessage: fullChecks.length > 0,
    matchesSummary,
    matches: (message) =>
      matchesSummary(message) && fullChecks.every((check) => check(message as StoredMessage)),
  };
}

/** A `match` parameter that is not a valid wire filter; `field` names the part (e.g. `header[1].name`). */
export class InvalidFilterError extends Error {
  override readonly name = "InvalidFilterError" as const;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Validates untrusted JSON as a wire filter; throws `InvalidFilterError` naming what was wrong. */
export function parseWireFilter(value: unknown): WireFilter {
  const fields = plainObject(value, "match", 'a filter object such as {"subject":{"contains":"Welcome"}}');
  rejectUnknownKeys(fields, WIRE_FILTER_KEYS, "match");
  const filter: WireFilter = {};
  for (const field of TEXT_FIELDS) {
    if (fields[field] !== undefined) filter[field] = parseTextMatcher(fields[field], field);
  }
  if (fields.hasAttachment !== undefined) {
    if (typeof fields.hasAttachment !== "boolean")
      throw invalid("hasAttachment", "true or false", fields.hasAttachment);
    filter.hasAttachment = fields.hasAttachment;
  }
  if (fields.authUser !== undefined) {
    if (typeof fields.authUser !== "string" || fields.authUser === "")
      throw invalid("authUser", "a user name", fields.authUser);
    filter.authUser = fields.authUser;
  }
  if (fields.header !== undefined) {
    const headers = fields.header;
    if (!Array.isArray(headers) || headers.length === 0 || headers.length > MAX_HEADER_FILTERS)
      throw invalid("header", `an array of 1 to ${MAX_HEADER_FILTERS} { name, value? }`, headers);
    filter.header = headers.map((entry, index) => {
      const at = `header[${index}]`;
      const header = plainObject(entry, at, "{ name, value? }");
      rejectUnknownKeys(header, ["name", "value"], at);
      if (typeof header.name !== "string" || header.name.trim() === "" || header.name.length > 200)
        throw invalid(`${at}.name`, "a header name", header.name);
      return header.value === undefined
        ? { name: header.name }
        : { name: header.name, value: parseTextMatcher(header.value, `${at}.value`) };
    });
  }
  if (fields.attachment !== undefined) {
    const attachment = plainObject(fields.attachment, "attachment", "{ filename?, contentType? }");
    rejectUnknownKeys(attachment, ["filename", "contentType"], "attachment");
    filter.attachment = {};
    if (attachment.filename !== undefined)
      filter.attachment.filename = parseTextMatcher(attachment.filename, "attachment.filename");
    if (attachment.contentType !== undefined)
      filter.attachment.contentType = parseTextMatcher(attachment.contentType, "attachment.contentType");
  }
  return filter;
}

const MAX_MATCHER_LENGTH = 1000;

function parseTextMatcher(value: unknown, at: string): WireTextMatcher {
  const expected = '{ "contains" | "exact" | "regex": string } (regex may add "flags")';
  const matcher = plainObject(value, at, expected);
  const kinds = Object.keys(matcher).filter((key) => key !== "flags");
  const kind = kinds[0];
  if (kinds.length !== 1 || (kind !== "contains" && kind !== "exact" && kind !== "regex"))
    throw invalid(at, expected, value);
  const text = matcher[kind];
  if (typeof text !== "string" || text.length > MAX_MATCHER_LENGTH || (kind !== "exact" && text === ""))
    throw invalid(`${at}.${kind}`, `a non-empty string of at most ${MAX_MATCHER_LENGTH} characters`, text);
  if (kind !== "regex") {
    if (matcher.flags !== undefined) throw invalid(`${at}.flags`, "flags only with regex", matcher.flags);
    return kind === "contains" ? { contains: text } : { exact: text };
  }
  const flags = matcher.flags ?? "";
  if (typeof flags !== "string" || [...flags].some((flag) => !REGEX_FLAGS.includes(flag)))
    throw invalid(`${at}.flags`, `flags from "${REGEX_FLAGS}"`, flags);
  return flags === "" ? { regex: text } : { regex: text, flags };
}

function plainObject(value: unknown, at: string, expected: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(at, expected, value);
  return value as Record<string, unknown>;
}

function rejectUnknownKeys(fields: Record<string, unknown>, known: readonly string[], at: string): void {
  for (const key of Object.keys(fields)) {
    if (!known.includes(key))
      throw new InvalidFilterError(
        `${at}.${key}`,
        `Unknown filter key "${at}.${key}"; known: ${known.join(", ")}`,
      );
  }
}

function invalid(field: string, expected: string, received: unknown): InvalidFilterError {
  let shown: string;
  try {
    shown = JSON.stringify(received) ?? String(received);
  } catch {
    shown = String(received);
  }
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
  return new InvalidFilterError(field, `Invalid "${field}": expected ${expected}, got ${shown}`);
}
