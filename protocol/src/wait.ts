import type { StoredMessage } from "./message.js";

/**
 * `GET /api/wait` and `GET /api/inboxes/{address}/wait`: the first matches after `since`, oldest
 * first; `count` of them, or up to `limit` when more were already there.
 */
export interface WaitResponse {
  messages: StoredMessage[];
  /**
   * The sequence of the last message returned: pass it as the next `since`.
   * @minimum 0
   */
  head: number;
}

/** A message that did arrive, shown in a wait timeout so the test says what it got instead. */
export interface RecentMessage {
  /** @pattern ^[0-9a-z]{26}$ */
  id: string;
  /** @minimum 1 */
  sequence: number;
  subject: string;
  /** The first From address (with its name), or MAIL FROM when the header has none. */
  from: string;
  /** @format date-time */
  receivedAt: string;
}

/** What a 408 `wait_timeout` adds to the `error` object. */
export interface WaitTimeoutDetails {
  /**
   * Matching messages found (fewer than `count`).
   * @minimum 0
   */
  matched: number;
  /**
   * Messages the inbox holds (or the whole store for an all-inbox wait).
   * @minimum 0
   */
  inboxCount: number;
  /** Newest first, at most 5. */
  recent: RecentMessage[];
  /** @minimum 0 */
  head: number;
}
