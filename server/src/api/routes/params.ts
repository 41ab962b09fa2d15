import {
  ARC_RESULTS,
  ATTACHMENT_ID_PATTERN,
  DEFAULT_LIMIT,
  DEFAULT_WAIT_COUNT,
  DEFAULT_WAIT_TIMEOUT_MS,
  DKIM_RESULTS,
  DMARC_RESULTS,
  INBOX_PREFIX_PATTERN,
  inboxAddress,
  LIST_PARAMETERS,
  MAX_EXCLUDED,
  MAX_FILTER_LENGTH,
  MAX_INBOX_TTL_MS,
  MAX_LIMIT,
  MAX_WAIT_COUNT,
  MAX_WAIT_LIMIT,
  MESSAGE_ID_PATTERN,
  SPF_RESULTS,
  WAIT_PARAMETERS,
} from "@mailnest/protocol";
import type { MessageFilter, MessageQuery } from "../../store/message-store.js";
import { InvalidParameterError, NotFoundError } from "../http/errors.js";
import { parseMatchParam } from "./match-param.js";

/**
 * Parameter validation for every route, in one place. Each function takes what express parsed
 * (strings, arrays for repeated parameters, unknown JSON bodies) and returns typed values or throws
 * an `InvalidParameterError` naming the parameter.
 */

export type QueryValues = Record<string, unknown>;

/** `token` is the API token for links a browser opens directly (docs/api.md, "Token"). */
const LIST_PARAMETER_SET: ReadonlySet<string> = new Set<string>(LIST_PARAMETERS);
const WAIT_PARAMETER_SET: ReadonlySet<string> = new Set<string>(WAIT_PARAMETERS);

/** An id that cannot exist is a 404 without asking the store (and never reaches a file path). */
export function messageIdParam(value: unknown): string {
  if (typeof value !== "string" || !MESSAGE_ID_PATTERN.test(value)) {
    throw new NotFoundError(`No message with id ${JSON.stringify(String(value))}`);
  }
  return value;
}

export function attachmentIdParam(messageId: string, value: unknown): string {
  if (typeof value !== "string" || !ATTACHMENT_ID_PATTERN.test(value)) {
    throw new NotFoundError(`Message ${messageId} has no attachment ${JSON.stringify(String(value))}`);
  }
  return value;
}

/** An inbox address from the path (express has URL-decoded it), normalized with the store's rule. */
export function addressParam(value: unknown): string {
  const address = typeof value === "string" ? inboxAddress(value) : null;
  if (address === null) {
    throw InvalidParameterError.expected("address", "an email address such as user@mailnest.test", value);
  }
  return address;
}

export function parseListQuery(query: QueryValues): Omit<MessageQuery, "inbox"> {
  rejectUnknown(query, LIST_PARAMETER_SET);
  const cursor = optionalString(query, "cursor", 512);
  return {
    ...parseFilter(query),
    limit: optionalInteger(query, "limit", 1, MAX_LIMIT) ?? DEFAULT_LIMIT,
    ...(cursor === undefined ? {} : { cursor }),
  };
}

export interface WaitParams {
  filter: Omit<MessageFilter, "inbox">;
  count: number;
  /** The most matches one answer carries (at least `count`). */
  limit: number;
  timeoutMs: number;
}

/** `timeout` above the server cap is lowered to it: the client re-issues the wait with the same `since`. */
export function parseWaitQuery(query: QueryValues, maxWaitMs: number): WaitParams {
  rejectUnknown(query, WAIT_PARAMETER_SET);
  const timeout = optionalInteger(query, "timeout", 0, Number.MAX_SAFE_INTEGER);
  const count = optionalInteger(query, "count", 1, MAX_WAIT_COUNT) ?? DEFAULT_WAIT_COUNT;
  return {
    filter: parseFilter(query),
    count,
    // Below `count` it could never carry the answer the wait is waiting for.
    limit: optionalInteger(query, "limit", count, MAX_WAIT_LIMIT) ?? count,
    timeoutMs: Math.min(timeout ?? DEFAULT_WAIT_TIMEOUT_MS, maxWaitMs),
  };
}

function parseFilter(query: QueryValues): Omit<MessageFilter, "inbox"> {
  const filter: Omit<MessageFilter, "inbox"> = {};
  for (const name of ["from", "to", "subject", "text", "authUser"] as const) {
    const value = optionalString(query, name, MAX_FILTER_LENGTH);
    if (value !== undefined) filter[name] = value;
  }
  const hasAttachment = optionalBoolean(query, "hasAttachment");
  if (hasAttachment !== undefined) filter.hasAttachment = hasAttachment;
  const dkim = optionalWord(query, "dkim", DKIM_RESULTS);
  if (dkim !== undefined) filter.dkim = dkim;
  const spf = optionalWord(query, "spf", SPF_RESULTS);
  if (spf !== undefined) filter.spf = spf;
  const dmarc = optionalWord(query, "dmarc", DMARC_RESULTS);
  if (dmarc !== undefined) filter.dmarc = dmarc;
  const arc = optionalWord(query, "arc", ARC_RESULTS);
  if (arc !== undefined) filter.arc = arc;
  const since = optionalInteger(query, "since", 0, Number.MAX_SAFE_INTEGER);
  if (since !== undefined) filter.since = since;
  const after = optionalTime(query, "after");
  if (after !== undefined) filter.after = after;
  const exclude = optionalSequences(query, "exclude");
  if (exclude !== undefined) filter.exclude = exclude;
  const match = single(query, "match");
  if (match !== undefined && match !== "") filter.match = parseMatchParam(match);
  return filter;
}

/** `exclude=12,15,16`: sequences the client already took (at most `MAX_EXCLUDED`). */
function optionalSequences(query: QueryValues, name: string): ReadonlySet<number> | undefined {
  const value = single(query, name);
  if (value === undefined || value === "") return undefined;
  const parts = value.split(",");
  if (parts.length > MAX_EXCLUDED || !parts.every((part) => /^\d{1,15}$/.test(part))) {
    throw InvalidParameterError.expected(
      name,
      `up to ${MAX_EXCLUDED} comma-separated sequence numbers`,
      value,
    );
  }
  return new Set(parts.map(Number));
}

/** A time on the server's clock: milliseconds since the epoch, fractions allowed (`GET /api/clock`). */
function optionalTime(query: QueryValues, name: string): number | undefined {
  const value = single(query, name);
  if (value === undefined || value === "") return undefined;
  const time = /^\d{1,16}(\.\d{1,9})?$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(time)) {
    throw InvalidParameterError.expected(
      name,
      "milliseconds since the epoch on the server's clock, e.g. 1767225600123.456",
      value,
    );
  }
  return time;
}

export interface CreateInboxBody {
  prefix: string;
  domain: string | null;
  ttlMs: number | null;
}

const DOMAIN_PATTERN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function parseCreateInboxBody(body: unknown): CreateInboxBody {
  const fields = bodyObject(body, ["prefix", "domain", "ttl"]);
  const prefix = fields.prefix ?? "t";
  if (typeof prefix !== "string" || !INBOX_PREFIX_PATTERN.test(prefix)) {
    throw InvalidParameterError.expected(
      "prefix",
      "1-40 letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
      prefix,
    );
  }
  const domain = fields.domain ?? null;
  if (domain !== null && (typeof domain !== "string" || !DOMAIN_PATTERN.test(domain))) {
    throw InvalidParameterError.expected("domain", "a host name such as mailnest.test", domain);
  }
  const ttl = fields.ttl ?? null;
  if (
    ttl !== null &&
    (!Number.isSafeInteger(ttl) || (ttl as number) < 1 || (ttl as number) > MAX_INBOX_TTL_MS)
  ) {
    throw InvalidParameterError.expected(
      "ttl",
      `milliseconds, an integer from 1 to ${MAX_INBOX_TTL_MS}`,
      ttl,
    );
  }
  return { prefix, domain, ttlMs: ttl as number | null };
}

/** `{ "read": boolean }`; a missing body or field means `whenMissing` (`undefined` = required). */
export function parseReadBody(body: unknown, whenMissing?: boolean): boolean {
  const { read = whenMissing } = bodyObject(body, ["read"]);
  if (typeof read !== "boolean") throw InvalidParameterError.expected("read", "true or false", read);
  return read;
}

/** The JSON body as an object with only the known keys; no body at all counts as `{}`. */
function bodyObject(body: unknown, known: readonly string[]): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw InvalidParameterError.expected("body", "a JSON object", body);
  }
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!known.includes(key))
      throw InvalidParameterError.expected(key, `no such field (known: ${known.join(", ")})`, fields[key]);
  }
  return fields;
}

/** A typo such as `subjct=` would otherwise silently widen a search or a wait. */
function rejectUnknown(query: QueryValues, known: ReadonlySet<string>): void {
  for (const name of Object.keys(query)) {
    if (!known.has(name)) {
      throw InvalidParameterError.expected(
        name,
        `no such parameter (known: ${[...known].join(", ")})`,
        query[name],
      );
    }
  }
}

function single(query: QueryValues, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw InvalidParameterError.expected(name, "a single value", value);
  return value;
}

function optionalString(query: QueryValues, name: string, maxLength: number): string | undefined {
  const value = single(query, name);
  if (value === undefined || value === "") return undefined;
  if (value.length > maxLength)
    throw InvalidParameterError.expected(name, `at most ${maxLength} characters`, value);
  return value;
}

/** An empty value (`since=`, what a form's blank field sends) counts as absent, as for every parameter. */
function optionalInteger(query: QueryValues, name: string, min: number, max: number): number | undefined {
  const value = single(query, name);
  if (value === undefined || value === "") return undefined;
  const number = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw InvalidParameterError.expected(name, range, value);
  }
  return number;
}

/** One of a list of words (a verdict such as `dkim=pass`), lowercase. */
function optionalWord<T extends string>(
  query: QueryValues,
  name: string,
  words: readonly T[],
): T | undefined {
  const value = optionalString(query, name, 20)?.toLowerCase();
  if (value === undefined) return undefined;
  if (!(words as readonly string[]).includes(value)) {
    throw InvalidParameterError.expected(name, `one of ${words.join(", ")}`, query[name]);
  }
  return value as T;
}

function optionalBoolean(query: QueryValues, name: string): boolean | undefined {
  const value = single(query, name);
  if (value === undefined || value === "") return undefined;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw InvalidParameterError.expected(name, "true or false", value);
}
