/** Limits and id shapes that both sides of the wire rely on. */

/** Messages in one list page, unless `limit` says otherwise. */
export const DEFAULT_LIMIT = 50;
/** The largest `limit` a list accepts. */
export const MAX_LIMIT = 500;
export const DEFAULT_WAIT_COUNT = 1;
/** The largest `count` a wait accepts. */
export const MAX_WAIT_COUNT = 100;
/**
 * The largest `limit` a wait accepts: how many matches already there one answer may carry, in full.
 * A client that checks more itself (the SDK's `where`) pages through a backlog this many at a time.
 */
export const MAX_WAIT_LIMIT = 500;
/** A wait without `timeout` gives up after this long. */
export const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
/** Longest filter value (`subject=`, `text=`, …): longer is a client bug, not a search. */
export const MAX_FILTER_LENGTH = 1000;
/** Longest inbox address (RFC 5321 §4.5.3.1: 64 + 1 + 255). */
export const MAX_ADDRESS_LENGTH = 320;
/** Longest TTL a created inbox may ask for: 30 days. */
export const MAX_INBOX_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** A message id: a 26-character lowercase ULID. Anything else is a 404 without touching the store. */
export const MESSAGE_ID_PATTERN = /^[0-9a-z]{26}$/;
/** An attachment id within its message: `a1`, `a2`, … */
export const ATTACHMENT_ID_PATTERN = /^a[0-9]{1,5}$/;
/** The `prefix` of `POST /api/inboxes`. */
export const INBOX_PREFIX_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{0,38}[a-z0-9])?$/i;
/** How many characters of `visibleText` a summary's `snippet` keeps. */
export const SNIPPET_LENGTH = 200;
