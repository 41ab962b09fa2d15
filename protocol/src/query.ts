import type { ArcResult, DkimResult, DmarcResult, SpfResult } from "./authentication.js";

/**
 * The filters of `GET /api/messages`, `GET /api/inboxes/{address}/messages` and the waits, as query
 * parameters. Strings are case-insensitive substrings; every given filter must hold.
 */
export interface MessageFilterParams {
  /** A From address or display name, or MAIL FROM. */
  from?: string;
  /** A To or Cc address or display name, or an envelope recipient (so Bcc too). */
  to?: string;
  subject?: string;
  /** Looks at `visibleText`. */
  text?: string;
  hasAttachment?: boolean;
  /** The SMTP AUTH user name, exactly. */
  authUser?: string;
  /**
   * Only messages whose DKIM verdict is this (`pass` when any signature passes; `none` when
   * unsigned): `AuthenticationSummary.dkim`. A message stored without verdicts never matches.
   */
  dkim?: DkimResult;
  /** Only messages whose SPF verdict is this. */
  spf?: SpfResult;
  /** Only messages whose DMARC verdict is this, e.g. `fail`. */
  dmarc?: DmarcResult;
  /** Only messages whose ARC verdict is this. */
  arc?: ArcResult;
  /** Only messages with `sequence > since`. */
  since?: number;
  /**
   * Only messages whose `receivedTime` is later: a time on the server's clock (`GET /api/clock`).
   * How `inbox.nextMessage()` means "after the call" exactly, whatever the two clocks say.
   */
  after?: number;
  /**
   * Sequences to leave out, comma-separated (at most `MAX_EXCLUDED`): messages this client already
   * took. A handle's second wait for the same filter then costs one request, not one per message
   * an earlier wait returned.
   */
  exclude?: string;
  /**
   * A `WireFilter` as JSON (docs/api.md, "Filters"): exact values, regular expressions (run on
   * RE2), headers and attachments. Combined with the other filters by AND.
   */
  match?: string;
}

/** The most sequences one `exclude` may name. */
export const MAX_EXCLUDED = 500;

export const FILTER_PARAMETERS = [
  "from",
  "to",
  "subject",
  "text",
  "hasAttachment",
  "authUser",
  "dkim",
  "spf",
  "dmarc",
  "arc",
  "since",
  "after",
  "exclude",
  "match",
] as const satisfies readonly (keyof MessageFilterParams)[];

export interface ListParams extends MessageFilterParams {
  /** 1–500 (`MAX_LIMIT`), default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface WaitParams extends MessageFilterParams {
  /** How many matching messages to wait for, 1–100; default 1. */
  count?: number;
  /**
   * The most matches one answer carries: once `count` match, the answer holds every match already
   * there, oldest first, up to this many (`count`–500, `MAX_WAIT_LIMIT`; default `count`; beyond
   * `count`, only while their raw sizes add up to 8 MiB). A client that evaluates part of its
   * filter itself pages through a backlog with `count=1&limit=500` instead of asking once per
   * candidate.
   */
  limit?: number;
  /** Milliseconds; capped by the server's `--max-wait`. */
  timeout?: number;
}

/** Every parameter name a list route accepts (`token` is the API token for links a browser opens). */
export const LIST_PARAMETERS = [...FILTER_PARAMETERS, "limit", "cursor", "token"] as const;
export const WAIT_PARAMETERS = [...FILTER_PARAMETERS, "count", "limit", "timeout", "token"] as const;

/**
 * A query string from parameters: `undefined` values are left out, booleans and numbers written
 * as the server parses them. Returns "" or "?a=b&…".
 */
export function queryString(params: object): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    search.set(name, String(value));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}
