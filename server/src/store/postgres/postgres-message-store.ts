import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { normalizeAddress } from "@mailnest/protocol";
import type { Clock } from "../../clock.js";
import type { EventBus } from "../../events/bus.js";
import { DuplicateWindow } from "../duplicate-window.js";
import { StorageFailedError } from "../errors.js";
import type {
  InboxInfo,
  IndexedPage,
  IndexedSummary,
  IntegrityCheck,
  MessageAuthenticator,
  MessageFilter,
  MessagePage,
  MessageParser,
  MessageQuery,
  MessageStore,
} from "../message-store.js";
import type { AttachmentMeta, IncomingEnvelope, MessageSummary, StoredMessage } from "../model.js";
import type { RetentionPolicy } from "../retention.js";
import { TaskTracker } from "../task-tracker.js";
import { ChangeFeed } from "./change-feed.js";
import { type ConnectOptions, connect, describeUrl, type Sql } from "./connect.js";
import { GroupCommit } from "./group-commit.js";
import { PostgresHousekeeping } from "./housekeeping.js";
import { ingestMessage } from "./ingest.js";
import { PostgresQueries } from "./queries.js";
import { Replica } from "./replica.js";
import { readSnapshot, type Snapshot } from "./rows.js";
import { migrate } from "./schema.js";
import { PostgresWrites } from "./writes.js";

export interface PostgresStoreDeps {
  parser: MessageParser;
  bus: EventBus;
  clock: Clock;
  /** Absent or null: messages are stored without verdicts. */
  authenticator?: MessageAuthenticator | null;
  policy: RetentionPolicy;
  /** Pool tuning; tests shorten the connect timeout. */
  connection?: ConnectOptions;
}

/**
 * Opens the PostgreSQL store on `url` (`postgres://user:pass@host:5432/db`): migrates the schema
 * (once, under an advisory lock), loads this instance's replica of summaries and inboxes, listens
 * for the changes of every instance, and prunes what retention says is due. Any number of instances
 * may open the same database and act as one sandbox. See docs/storage.md, "PostgreSQL".
 * Rejects with `StorageFailedError` when the database cannot be reached or migrated.
 */
export async function openPostgresStore(url: string, deps: PostgresStoreDeps): Promise<MessageStore> {
  const sql = connect(url, deps.connection);
  try {
    return await assemble(url, sql, deps);
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw new StorageFailedError(`opening the PostgreSQL store at ${describeUrl(url)}`, error);
  }
}

async function assemble(url: string, sql: Sql, deps: PostgresStoreDeps): Promise<MessageStore> {
  await migrate(sql);
  const duplicates = new DuplicateWindow();
  // The replica's hooks reach parts built after it: bound late, used only once the feed runs.
  let queries: PostgresQueries | null = null;
  let housekeeping: PostgresHousekeeping | null = null;
  // This open's identity in the change log: new at every open, so a restarted instance never takes
  // the changes its previous run wrote (and another instance may have announced) for its own.
  const instance = randomUUID();
  const replica = new Replica(deps.bus, duplicates, instance, {
    forgotten: (id) => queries?.forget(id),
    stored: () => housekeeping?.afterStored(),
    registered: (registration) => housekeeping?.inboxExpires(registration.expiresAt),
  });
  const feed = new ChangeFeed(sql, replica);
  let snapshot: Snapshot;
  try {
    // Listen first, then read the snapshot: a commit in between is applied after it, none is missed.
    await feed.start(url, deps.connection ?? {});
    snapshot = await readSnapshot(sql);
    replica.load(snapshot, deps.clock());
  } catch (error) {
    await feed.close();
    throw error;
  }
  feed.resume();
  queries = new PostgresQueries(sql, replica, deps.parser);
  const writes = new PostgresWrites(sql, replica, feed);
  housekeeping = new PostgresHousekeeping(sql, replica, feed, writes, deps.policy);
  const store = new PostgresMessageStore({
    sql,
    deps,
    duplicates,
    replica,
    feed,
    queries,
    writes,
    housekeeping,
    sequenceEpoch: snapshot.sequenceEpoch,
  });
  await housekeeping.sweep();
  return store;
}

interface Parts {
  sql: Sql;
  deps: PostgresStoreDeps;
  duplicates: DuplicateWindow;
  replica: Replica;
  feed: ChangeFeed;
  queries: PostgresQueries;
  writes: PostgresWrites;
  housekeeping: PostgresHousekeeping;
  sequenceEpoch: number;
}

/** The `MessageStore` contract over PostgreSQL; this class only routes calls and closes. */
class PostgresMessageStore implements MessageStore {
  readonly #parts: Parts;
  readonly #commits: GroupCommit;
  readonly #tasks = new TaskTracker();
  #closing: Promise<void> | null = null;

  constructor(parts: Parts) {
    this.#parts = parts;
    this.#commits = new GroupCommit(parts.sql, parts.replica.instance);
  }

  get head(): number {
    return this.#parts.replica.head;
  }

  get messageCount(): number {
    return this.#parts.replica.index.count;
  }

  get unreadCount(): number {
    return this.#parts.replica.index.unreadCount;
  }

  get sequenceEpoch(): number {
    return this.#parts.sequenceEpoch;
  }

  get damagedCount(): number {
    return this.#parts.queries.damagedCount;
  }

  get reachable(): boolean {
    return this.#parts.feed.reachable;
  }

  ingest(raw: Readable, envelope: IncomingEnvelope, options: { maxSize: number }): Promise<StoredMessage> {
    if (this.#closing) {
      raw.resume();
      return Promise.reject(new StorageFailedError("accepting a message", new Error("the store is closed")));
    }
    return this.#tasks.track(this.#ingest(raw, envelope, options.maxSize));
  }

  async #ingest(raw: Readable, envelope: IncomingEnvelope, maxSize: number): Promise<StoredMessage> {
    const { deps, duplicates, feed, queries, housekeeping } = this.#parts;
    const stored = await ingestMessage(
      {
        clock: deps.clock,
        parser: deps.parser,
        authenticator: deps.authenticator ?? null,
        duplicates,
        commits: this.#commits,
        feed,
        remember: (sidecar) => queries.remember(sidecar),
        summary: (id) => queries.summary(id),
      },
      raw,
      envelope,
      maxSize,
    );
    // As with the local store, what ingest pushed over `maxMessages` is gone when it resolves.
    if (housekeeping.overLimit) await housekeeping.sweep();
    return stored;
  }

  get(id: string): Promise<StoredMessage | null> {
    return this.#parts.queries.get(id);
  }

  summary(id: string): MessageSummary | null {
    return this.#parts.queries.summary(id);
  }

  readRaw(id: string): Promise<Readable | null> {
    return this.#parts.queries.readRaw(id);
  }

  readAttachment(
    id: string,
    attachmentId: string,
  ): Promise<{ meta: AttachmentMeta; content: Readable } | null> {
    return this.#parts.queries.readAttachment(id, attachmentId);
  }

  checkIntegrity(): Promise<IntegrityCheck> {
    return this.#parts.queries.checkIntegrity();
  }

  /** Its summaries carry their snippets (a column), so this is `list`. */
  listIndexed(query: MessageQuery): Promise<IndexedPage> {
    return this.list(query);
  }

  list(query: MessageQuery): Promise<MessagePage> {
    return this.#parts.queries.list(query);
  }

  matches(summary: IndexedSummary, filter: MessageFilter): Promise<boolean> {
    return this.#parts.queries.matches(summary, filter);
  }

  listInboxes(): InboxInfo[] {
    return this.#parts.replica.index.inboxes();
  }

  getInbox(address: string): InboxInfo | null {
    return this.#parts.replica.index.inbox(normalizeAddress(address));
  }

  createInbox(address: string, options: { ttlMs?: number } = {}): InboxInfo {
    const inbox = this.#parts.writes.createInbox(address, options);
    this.#parts.housekeeping.inboxExpires(inbox.expiresAt);
    return inbox;
  }

  clearInbox(address: string): Promise<number> {
    return this.#tasks.track(this.#parts.writes.clearInbox(address));
  }

  deleteInbox(address: string): Promise<boolean> {
    return this.#tasks.track(this.#parts.writes.deleteInbox(address));
  }

  deleteMessage(id: string): Promise<boolean> {
    return this.#tasks.track(this.#parts.writes.deleteMessage(id));
  }

  deleteAll(): Promise<number> {
    return this.#tasks.track(this.#parts.writes.deleteAll());
  }

  setRead(id: string, read: boolean): Promise<MessageSummary | null> {
    return this.#tasks.track(this.#parts.writes.setRead(id, read));
  }

  setInboxRead(address: string | null, read: boolean): Promise<number> {
    return this.#tasks.track(this.#parts.writes.setInboxRead(address, read));
  }

  /** Finishes what was started (ingests, writes, pending inbox write-throughs), then disconnects. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const { housekeeping, writes, feed, sql } = this.#parts;
      await housekeeping.stop();
      await this.#tasks.drain();
      writes.close();
      await writes.registrationsWritten();
      await feed.close();
      await sql.end({ timeout: 5 });
    })();
    return this.#closing;
  }
}
