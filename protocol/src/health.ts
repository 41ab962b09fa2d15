/**
 * `GET /api/health`: 200 while ready, 503 once shutdown began. `degraded`: still serving what it
 * holds, but its PostgreSQL database cannot be reached (`store.reachable` false): mail gets 451 and
 * reads that need the database 503 until it is back (docs/scaling.md).
 */
export interface Health {
  status: "ok" | "degraded" | "closing";
  ready: boolean;
  version: string;
  /**
   * Highest sequence stored (0 when empty).
   * @minimum 0
   */
  head: number;
  /** @minimum 0 */
  messages: number;
  /**
   * Unread messages, each counted once (a message sent to three inboxes is unread in each inbox's
   * `unreadCount`, once here).
   * @minimum 0
   */
  unread: number;
  /** @minimum 0 */
  inboxes: number;
  /**
   * Long-poll waits held open right now.
   * @minimum 0
   */
  waiters: number;
  smtp: { port: number };
  /** The implicit-TLS listener; `port` null when it is off. */
  smtps: { port: number | null };
  /** POP3 (docs/retrieval.md); `port` null when it is off. */
  pop3: { port: number | null };
  /** POP3 with implicit TLS; `port` null when it is off. */
  pop3s: { port: number | null };
  /** IMAP; `port` null when it is off. */
  imap: { port: number | null };
  /** IMAP with implicit TLS; `port` null when it is off. */
  imaps: { port: number | null };
  /**
   * Messages found damaged so far (their stored bytes no longer match the size and sha256 recorded
   * when they arrived), by a read or by `POST /api/check`, and not deleted since.
   * @minimum 0
   */
  damaged: number;
  /** Where this instance keeps its messages (docs/storage.md, docs/scaling.md). */
  store: StoreInfo;
}

/**
 * `postgres`: a PostgreSQL database that several instances may share (`location`: its URL, the
 * password replaced by `***`); `files`: the embedded store (`location`: the data directory);
 * `memory`: nothing written (`location` null).
 */
export interface StoreInfo {
  kind: "postgres" | "files" | "memory";
  location: string | null;
  /**
   * False while this instance cannot reach its PostgreSQL database (its connection was lost, or
   * reading the change log fails); always true for `files` and `memory`.
   */
  reachable: boolean;
}

/** `GET /api/clock`: the server's clock, for clients that measure their offset to it. */
export interface ServerClock {
  /**
   * Milliseconds since the epoch with sub-millisecond precision (`performance.timeOrigin +
   * performance.now()` on the server): the clock `receivedTime` and the `after` filter use.
   */
  now: number;
}
