import type { Readable } from "node:stream";
import type { Clock } from "../clock.js";
import type { EventBus } from "../events/bus.js";
import type { BlobStore } from "./blob-store.js";
import { DuplicateWindow } from "./duplicate-window.js";
import { StorageFailedError } from "./errors.js";
import type { IndexStorage } from "./index-storage.js";
import { MessageIndex } from "./message-index.js";
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
} from "./message-store.js";
import type { AttachmentMeta, IncomingEnvelope, MessageSummary, StoredMessage } from "./model.js";
import { PersistedIndex, SHARD_SIZE, type SnapshotRefreshPolicy } from "./persisted-index.js";
import { reconcile } from "./reconcile.js";
import { readServedSidecar } from "./recover-sidecar.js";
import type { RetentionPolicy } from "./retention.js";
import { SearchText } from "./search-text.js";
import { createMemorySearchTextStorage, type SearchTextStorage } from "./search-text-storage.js";
import { Sequencer } from "./sequencer.js";
import { StoreHousekeeping } from "./store-housekeeping.js";
import { StoreInboxes } from "./store-inboxes.js";
import { StoreIngest } from "./store-ingest.js";
import type { StoreParts } from "./store-parts.js";
import { StoreQueries } from "./store-queries.js";
import { StoreReadFlags } from "./store-read-flags.js";
import { StoreRemoval } from "./store-removal.js";
import { TaskTracker } from "./task-tracker.js";

export interface LocalStoreOptions {
  /** Where bytes and sidecars live: files or memory. */
  blobs: BlobStore;
  /** Where the lowdb index documents live: files or memory. */
  indexStorage: IndexStorage;
  /** Where the search text of `text` queries lives: a file or memory (the default). */
  searchTextStorage?: SearchTextStorage;
  parser: MessageParser;
  /** Absent or null: messages are stored without verdicts. */
  authenticator?: MessageAuthenticator | null;
  bus: EventBus;
  policy: RetentionPolicy;
  clock: Clock;
  /** Loading the search text waits for this (StoreDeps.backgroundWorkAfter). */
  backgroundWorkAfter?: Promise<void>;
  /** When the index replaces its snapshot while running (a data directory's: `SNAPSHOT_REFRESH`); absent: only at a clean close. */
  snapshotRefresh?: SnapshotRefreshPolicy;
}

/**
 * Opens the local store over a blob store and an index storage: reconciles the index with the
 * files, then assembles the store from its parts. See docs/storage.md.
 */
export async function openLocalStore(options: LocalStoreOptions): Promise<MessageStore> {
  const index = new MessageIndex();
  let sequencer: Sequencer | null = null;
  const persisted = new PersistedIndex(
    options.indexStorage,
    {
      summariesInShard: (shard) => index.range(shard * SHARD_SIZE, (shard + 1) * SHARD_SIZE),
      all: () => index.all(),
      state: () => ({
        lastSequence: sequencer?.head ?? 0,
        inboxes: index.registrations(),
        messageCount: index.count,
      }),
    },
    options.snapshotRefresh ? { refresh: options.snapshotRefresh } : {},
  );
  const { summaries, state } = await reconcile(options.blobs, persisted, options.parser);
  // The index keeps no snippets: lists read them from the search text (`StoreQueries.served`).
  // Summaries rebuilt from sidecars, and snapshots written before, still carry theirs.
  for (const summary of summaries) summary.snippet = "";
  index.addAll(summaries);
  for (const registration of state.inboxes) index.register(registration);
  sequencer = new Sequencer(state.lastSequence);
  // Derived from the sidecars, loaded in the background: records that are missing (a crash, a
  // deleted file) are rebuilt from them; until then `text` queries read the sidecars.
  const searchText = SearchText.open(
    options.searchTextStorage ?? createMemorySearchTextStorage(),
    index.all(),
    // A message deleted meanwhile is not repaired back (its record, if any, is dropped after).
    async (summary) => {
      const stillIndexed = () => index.get(summary.id) !== undefined;
      const sidecar = await readServedSidecar(options.blobs, options.parser, summary, stillIndexed);
      return sidecar?.view.visibleText ?? null;
    },
    options.backgroundWorkAfter,
  );
  const duplicates = new DuplicateWindow();
  duplicates.rebuild(summaries, options.clock());
  // Walked by the first message, or once the server is up (the verification threads wait for it too).
  void (options.backgroundWorkAfter ?? Promise.resolve()).then(() => setImmediate(() => duplicates.settle()));
  const store = new LocalMessageStore(
    {
      clock: options.clock,
      duplicates,
      parser: options.parser,
      authenticator: options.authenticator ?? null,
      bus: options.bus,
      blobs: options.blobs,
      index,
      persisted,
      searchText,
      sequencer,
      tasks: new TaskTracker(),
    },
    options.policy,
  );
  // Write what reconciliation repaired, then start the periodic flushes.
  persisted.start();
  await persisted.flush();
  // Once the server is up, a start that had to read many shards leaves a snapshot for the next one.
  void (options.backgroundWorkAfter ?? Promise.resolve()).then(() => persisted.refreshIfBehind());
  store.sweep();
  return store;
}

/**
 * Resolves once the search text of a local store is loaded and `text` queries scan it rather than
 * reading sidecars (answers are the same either way; tests and benchmarks wait for it).
 */
export function searchTextReady(store: MessageStore): Promise<void> {
  return store instanceof LocalMessageStore ? store.searchTextReady : Promise.resolve();
}

/**
 * The store behind `createMessageStore`: the `MessageStore` contract over small parts, each with
 * one job: ingest, queries (with the cache of recent messages), inboxes, read flags, removal and
 * housekeeping (retention, inbox TTLs). This class only routes calls and closes.
 */
class LocalMessageStore implements MessageStore {
  readonly #parts: StoreParts;
  readonly #queries: StoreQueries;
  readonly #removal: StoreRemoval;
  readonly #inboxes: StoreInboxes;
  readonly #readFlags: StoreReadFlags;
  readonly #housekeeping: StoreHousekeeping;
  readonly #ingest: StoreIngest;
  #closing: Promise<void> | null = null;

  constructor(parts: StoreParts, policy: RetentionPolicy) {
    this.#parts = parts;
    this.#queries = new StoreQueries(parts);
    this.#removal = new StoreRemoval(parts, this.#queries);
    this.#inboxes = new StoreInboxes(parts, this.#removal, this.#queries);
    this.#readFlags = new StoreReadFlags(parts, this.#queries);
    this.#housekeeping = new StoreHousekeeping(parts, policy, this.#removal, this.#inboxes);
    this.#ingest = new StoreIngest(parts, this.#queries, this.#housekeeping);
  }

  get head(): number {
    return this.#parts.sequencer.head;
  }

  get searchTextReady(): Promise<void> {
    return this.#parts.searchText.ready;
  }

  get messageCount(): number {
    return this.#parts.index.count;
  }

  get unreadCount(): number {
    return this.#parts.index.unreadCount;
  }

  /** Kept beside the store by whoever needs it (retrieval's `uidvalidity` file). */
  get sequenceEpoch(): null {
    return null;
  }

  get damagedCount(): number {
    return this.#queries.damagedCount;
  }

  /** Its files are local: an error writing them is the disk's, reported by the write itself. */
  get reachable(): boolean {
    return true;
  }

  ingest(raw: Readable, envelope: IncomingEnvelope, options: { maxSize: number }): Promise<StoredMessage> {
    if (this.#closing) {
      raw.resume();
      return Promise.reject(new StorageFailedError("accepting a message", new Error("the store is closed")));
    }
    return this.#parts.tasks.track(this.#ingest.ingest(raw, envelope, options.maxSize));
  }

  get(id: string): Promise<StoredMessage | null> {
    return this.#queries.get(id);
  }

  summary(id: string): IndexedSummary | null {
    return this.#queries.summary(id);
  }

  readRaw(id: string): Promise<Readable | null> {
    return this.#queries.readRaw(id);
  }

  readAttachment(
    id: string,
    attachmentId: string,
  ): Promise<{ meta: AttachmentMeta; content: Readable } | null> {
    return this.#queries.readAttachment(id, attachmentId);
  }

  checkIntegrity(): Promise<IntegrityCheck> {
    return this.#queries.checkIntegrity();
  }

  listIndexed(query: MessageQuery): Promise<IndexedPage> {
    return this.#queries.listIndexed(query);
  }

  list(query: MessageQuery): Promise<MessagePage> {
    return this.#queries.list(query);
  }

  matches(summary: IndexedSummary, filter: MessageFilter): Promise<boolean> {
    return this.#queries.matches(summary, filter);
  }

  listInboxes(): InboxInfo[] {
    return this.#inboxes.listInboxes();
  }

  getInbox(address: string): InboxInfo | null {
    return this.#inboxes.getInbox(address);
  }

  createInbox(address: string, options: { ttlMs?: number } = {}): InboxInfo {
    const inbox = this.#inboxes.createInbox(address, options);
    this.#housekeeping.inboxExpires(inbox.expiresAt);
    return inbox;
  }

  async clearInbox(address: string): Promise<number> {
    return this.#indexed(await this.#inboxes.clearInbox(address));
  }

  async deleteInbox(address: string): Promise<boolean> {
    return this.#indexed(await this.#inboxes.deleteInbox(address));
  }

  async deleteMessage(id: string): Promise<boolean> {
    // Only the high-water mark is at stake for one message (the files say it is gone): a message
    // older than the index's last write costs no write, so a client deleting a thousand pays nothing.
    const sequence = this.#parts.index.get(id)?.sequence ?? 0;
    const deleted = await this.#removal.deleteMessage(id);
    if (!deleted || sequence <= this.#parts.persisted.writtenLastSequence) return deleted;
    return this.#indexed(deleted);
  }

  async deleteAll(): Promise<number> {
    return this.#indexed(await this.#removal.deleteAll());
  }

  /**
   * Answers a deletion only once the index has it on disk. The files cannot tell a start after a
   * crash what these changes decided: the highest sequence ever given (gone with the newest message,
   * so the next message would get its number again and a cursor past it would skip that message),
   * which inboxes a message still belongs to (a start trusts the index's list over the rewritten
   * sidecar), an inbox's registration. The lazy flush left a 200 ms window in which a `kill -9`
   * undid all three; one write of the touched shards per deletion closes it.
   */
  async #indexed<T>(outcome: T): Promise<T> {
    await this.#parts.persisted.flush();
    return outcome;
  }

  setRead(id: string, read: boolean): Promise<MessageSummary | null> {
    return this.#readFlags.setRead(id, read);
  }

  setInboxRead(address: string | null, read: boolean): Promise<number> {
    return this.#readFlags.setInboxRead(address, read);
  }

  /** Age retention and inbox TTLs, now (startup); afterwards they run on their own timer. */
  sweep(): void {
    this.#housekeeping.sweep();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#housekeeping.stop();
      await this.#parts.tasks.drain();
      // The state records how many summaries the shards hold, which the next start checks before
      // trusting them (or the snapshot) after a clean shutdown.
      this.#parts.persisted.markState();
      const indexDurable = await this.#parts.persisted.writeSnapshot();
      await this.#parts.searchText.close();
      await this.#parts.blobs.close({ indexDurable });
    })();
    return this.#closing;
  }
}
