import type { Readable } from "node:stream";
import type {
  FilterableSummary,
  MessageAuthentication,
  MessageFilterParams,
  WireFilter,
} from "@mailnest/protocol";
import type {
  AttachmentMeta,
  InboxInfo,
  IncomingEnvelope,
  MessagePage,
  MessageSummary,
  ParsedView,
  RawSource,
  StoredMessage,
} from "./model.js";
import type { IntegrityCheck } from "./raw-integrity.js";

// What a failing store throws is part of its contract: a caller may tell "away for now" from a bug.
export { isStorageFailedError } from "./errors.js";
export type { InboxInfo, MessagePage } from "./model.js";
export type { IntegrityCheck } from "./raw-integrity.js";

/**
 * The contract between the layers and the store. The SMTP adapter writes through `ingest`; the API
 * reads through the rest. Implemented by `createMessageStore` (files + lowdb index, or in memory).
 */
export interface MessageStore {
  /** Highest sequence number stored so far (0 when empty). A client's "only after this point" cursor. */
  readonly head: number;
  /** How many messages are stored (each counted once, however many inboxes list it). Health, wait timeouts, metrics. */
  readonly messageCount: number;
  /** How many of them are unread, each counted once (the inboxes' counts add a message once per inbox). */
  readonly unreadCount: number;
  /**
   * Seconds since 1970 when this store's sequence numbers began, kept by the store itself, or null
   * when it keeps none (a data directory keeps IMAP's value in a file of its own, memory takes the
   * clock). PostgreSQL keeps it, so every instance on one database gives IMAP the same UIDVALIDITY.
   */
  readonly sequenceEpoch: number | null;

  /**
   * Streams a message to storage and indexes it. Resolves only when the raw bytes are durable
   * (written, fsync'd, renamed into place; skipped in memory mode) and the message is visible to
   * `get`/`list`, so the SMTP layer can answer 250. Rejects with a `StoreError`:
   * `MessageTooLargeError` when more than `maxSize` bytes arrive (nothing is kept), `StorageFailedError`
   * when the disk refused (nothing is kept). If `raw` errors or ends early (client vanished), nothing is kept.
   */
  ingest(raw: Readable, envelope: IncomingEnvelope, options: { maxSize: number }): Promise<StoredMessage>;

  get(id: string): Promise<StoredMessage | null>;
  /** What the store keeps in memory of a message: the summary without its snippet (lists carry it). */
  summary(id: string): IndexedSummary | null;
  /**
   * The exact bytes as received, or null for an unknown id. Verified against the size and sha256
   * recorded at ingest: rejects with `MessageDamagedError` when they differ (for a large message,
   * the stream fails with it at its end instead). `readAttachment` reads the same way.
   */
  readRaw(id: string): Promise<Readable | null>;
  readAttachment(
    id: string,
    attachmentId: string,
  ): Promise<{ meta: AttachmentMeta; content: Readable } | null>;

  /** Messages found damaged so far (by a read or a check) and not deleted since. */
  readonly damagedCount: number;
  /**
   * Whether the storage behind the store answers right now: false while a database-backed store has
   * lost its database (writes then fail as unavailable); the embedded store is always reachable.
   */
  readonly reachable: boolean;
  /** Reads every stored message and compares it with its recorded size and sha256. */
  checkIntegrity(): Promise<IntegrityCheck>;

  /** Newest first. */
  list(query: MessageQuery): Promise<MessagePage>;
  /**
   * The same page without the snippets, for walks that never show them (IMAP's and POP3's
   * mailboxes): the embedded store reads each snippet from disk (`StoreQueries.served`).
   */
  listIndexed(query: MessageQuery): Promise<IndexedPage>;
  /** Whether one message satisfies a filter; used by waiters on each new message. */
  matches(summary: IndexedSummary, filter: MessageFilter): Promise<boolean>;

  listInboxes(): InboxInfo[];
  getInbox(address: string): InboxInfo | null;
  /** Registers an (empty) inbox so it is listed before mail arrives; `ttlMs` deletes it afterwards. */
  createInbox(address: string, options?: { ttlMs?: number }): InboxInfo;
  /** Removes the inbox's messages (a message also listed in other inboxes stays there). Returns how many. */
  clearInbox(address: string): Promise<number>;
  /** Clears and forgets the inbox. */
  deleteInbox(address: string): Promise<boolean>;
  deleteMessage(id: string): Promise<boolean>;
  deleteAll(): Promise<number>;
  setRead(id: string, read: boolean): Promise<MessageSummary | null>;
  setInboxRead(address: string | null, read: boolean): Promise<number>;

  /** Flushes the index and stops timers. Idempotent. */
  close(): Promise<void>;
}

/**
 * A summary as the embedded store's index keeps it: everything but the snippet, which is also all a
 * filter reads (the protocol's `FilterableSummary`).
 */
export type IndexedSummary = FilterableSummary;

/** A `MessagePage` of `IndexedSummary`s. */
export type IndexedPage = Omit<MessagePage, "messages"> & { messages: IndexedSummary[] };

/**
 * The list and wait filters of the protocol (`MessageFilterParams`: substrings, verdicts, `since`,
 * `after`), parsed: `match` as a validated `WireFilter`, `exclude` as a set. All given filters must hold.
 */
export type MessageFilter = Omit<MessageFilterParams, "match" | "exclude"> & {
  /** Normalized inbox address; omitted means all inboxes. */
  inbox?: string;
  /** Sequences to leave out: messages the client already took. */
  exclude?: ReadonlySet<number>;
  /** Exact values, patterns (RE2), headers and attachments: the protocol's `WireFilter`, validated. */
  match?: WireFilter;
};

export interface MessageQuery extends MessageFilter {
  /** 1..500 */
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

/**
 * Turns raw bytes into the parsed view. Injected so the store does not depend on the SMTP layer
 * (the implementation, PostalMime and mailparser behind one module, is `smtp/parse-message.ts`).
 */
/** IMAP's system flags other than `\\Seen` (which is a message's `read`), in RFC 3501's order. */
export const VOLATILE_FLAGS = ["\\Answered", "\\Flagged", "\\Deleted", "\\Draft"] as const;
export type VolatileFlag = (typeof VOLATILE_FLAGS)[number];

/**
 * Where IMAP's volatile flags live when several instances share one sandbox (PostgreSQL,
 * docs/scaling.md "IMAP"): every instance keeps a copy (retrieval/mailbox/message-flags.ts), and
 * each change is made here first.
 */
export interface SharedMessageFlags {
  /** Every message's flags as stored (messages without any are left out). */
  all(): Promise<Map<string, VolatileFlag[]>>;
  /** One message's flags as stored. */
  of(id: string): Promise<VolatileFlag[]>;
  /** Adds and removes flags of one message; its flags as stored after, or null when it is gone. */
  change(
    id: string,
    add: readonly VolatileFlag[],
    remove: readonly VolatileFlag[],
  ): Promise<VolatileFlag[] | null>;
  /**
   * Calls `listener` with the id of a message whose flags changed on any instance, or with null when
   * any may have (its notifications are back after an outage). Returns the unsubscribe function.
   */
  subscribe(listener: (id: string | null) => void): () => void;
  close(): Promise<void>;
}

export interface MessageParser {
  /** Never rejects for bad MIME: returns a view with `parseError` set instead. */
  parse(raw: Readable): Promise<ParsedView>;
  /**
   * The same view of a message being stored, read from where its bytes lie. Ingest calls this when
   * it is there: a parser on worker threads (`smtp/parser-pool.ts`) is handed the bytes or the temp
   * file's path instead of a stream the event loop would have to feed.
   */
  parseSource?(source: RawSource): Promise<ParsedView>;
  /**
   * The decoded content of the attachment at `index` in `ParsedView.attachments` order, or null.
   * With `sha256` (the view's), the attachment with those bytes wherever it now stands: a view
   * stored by an earlier version may have listed the parts in another order (a bounce's
   * delivery-status part was not one before 0.2), and the bytes at the index would be another part's.
   */
  attachmentContent(raw: Readable, index: number, sha256?: string): Promise<Buffer | null>;
}

/**
 * Computes a message's SPF, DKIM, DMARC and ARC verdicts while it is being stored, so they are part
 * of it before anything can see it. Injected like the parser, so the store does not depend on the
 * implementation (`deliverability/`); absent when verification is off.
 */
export interface MessageAuthenticator {
  /**
   * Never rejects and never takes long: a verification that cannot finish yields `temperror` verdicts.
   * Bytes in memory are handed to the verifier before this returns, so the store calls it before it
   * starts parsing, and verification (on its thread) runs beside the parse rather than after it.
   */
  authenticate(raw: RawSource, envelope: IncomingEnvelope, size: number): Promise<MessageAuthentication>;
}
