/** One inbox per normalized envelope recipient (see `normalizeAddress`). */
export interface InboxInfo {
  /** The normalized address: the inbox key. */
  address: string;
  /** @minimum 0 */
  messageCount: number;
  /** @minimum 0 */
  unreadCount: number;
  /**
   * ISO-8601, or null for an inbox that has received nothing.
   * @format date-time
   */
  lastReceivedAt: string | null;
  /** @format date-time */
  createdAt: string;
  /**
   * ISO-8601 when a TTL was given at creation.
   * @format date-time
   */
  expiresAt: string | null;
}

export interface InboxList {
  inboxes: InboxInfo[];
}

/** `POST /api/inboxes`: every field optional. */
export interface CreateInboxRequest {
  /**
   * The local part's prefix; a random suffix is added.
   * @pattern ^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,38}[A-Za-z0-9])?$
   * @default "t"
   */
  prefix?: string;
  /** Defaults to the server's --domain. */
  domain?: string;
  /**
   * Milliseconds: delete the inbox (and its mail) this long after creation.
   * @minimum 1
   * @maximum 2592000000
   */
  ttl?: number;
}

/** `POST /api/inboxes` answers the new inbox and the store head, a cursor for "mail after now". */
export interface CreatedInbox extends InboxInfo {
  /** @minimum 0 */
  head: number;
}

/** `POST /api/inboxes/{address}/read` and `PATCH /api/messages/{id}`. */
export interface ReadStateRequest {
  read: boolean;
}

/** Answers of routes that delete or update many things at once. */
export interface DeletedCount {
  /** @minimum 0 */
  deleted: number;
}

export interface UpdatedCount {
  /** @minimum 0 */
  updated: number;
}
