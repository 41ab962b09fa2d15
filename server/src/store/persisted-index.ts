import { deserialize, serialize } from "node:v8";
import { Low } from "lowdb";
import type { IndexStorage } from "./index-storage.js";
import { mapConcurrently } from "./map-concurrently.js";
import type { InboxRegistration } from "./message-index.js";
import { MESSAGE_ID_PATTERN, type MessageSummary } from "./model.js";

/**
 * Sequences per index shard. A flush rewrites each touched shard whole, on the main thread: 250
 * summaries serialise in about a millisecond, so a flush never stalls ingest noticeably.
 */
export const SHARD_SIZE = 250;
const FLUSH_DELAY_MS = 200;
/** Shards read at once at startup: enough to keep the thread pool busy. */
const LOAD_CONCURRENCY = 8;
const STATE_DOCUMENT = "state";
const SHARD_PREFIX = "messages-";
/** Bumped when the snapshot's layout changes; a snapshot of another format is ignored (shards are read). */
const SNAPSHOT_FORMAT = 1;

interface SnapshotPayload {
  format: number;
  lastSequence: number;
  messageCount: number;
  summaries: readonly MessageSummary[];
}

interface ShardDocument {
  messages: MessageSummary[];
}

/** What is not a message: the sequence high-water mark (survives deleting every message) and registrations. */
export interface IndexState {
  lastSequence: number;
  inboxes: InboxRegistration[];
  /**
   * Summaries in the shards when this was written; after a clean shutdown, a load that finds fewer
   * (a shard or the whole folder deleted, a shard unreadable) does not trust the index. null when
   * not recorded (an index written before this field).
   */
  messageCount: number | null;
}

/** Where a flush reads the current state from (the in-memory index). */
export interface IndexSource {
  summariesInShard(shard: number): MessageSummary[];
  /** Every summary, for the snapshot a clean close writes. */
  all(): readonly MessageSummary[];
  state(): IndexState;
}

/**
 * The lowdb-backed index: summaries sharded by sequence (`messages-000042.json` holds sequences
 * 10,500–10,749) plus one `state.json`. Changes mark their shard dirty; dirty documents are written
 * together every 200 ms and on close, so the cost of a change never depends on how many messages are
 * stored, and a burst of ingests costs one write per touched shard. The `.eml` files stay the source
 * of truth: whatever a crash loses here, startup reconciliation re-adds from the sidecars.
 *
 * A clean close also leaves every summary in one snapshot (V8's serializer, `summaries.snapshot`),
 * which the next start reads instead of the shards: at 50,000 messages the shards are 47 MB of JSON
 * whose decoding, parsing and garbage took most of a restart (docs/performance.md). The snapshot
 * only speeds up a start: the start that reads it removes it first, so it can never outlive a change,
 * and one that is missing, damaged or disagrees with `state.json` is ignored.
 */
export class PersistedIndex {
  readonly #storage: IndexStorage;
  readonly #source: IndexSource;
  readonly #dirtyShards = new Set<number>();
  #stateDirty = false;
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #reportedFailure = false;
  #started = false;

  constructor(storage: IndexStorage, source: IndexSource) {
    this.#storage = storage;
    this.#source = source;
  }

  /** Everything the documents hold; unreadable documents count as empty (reconciliation fills the gap). */
  async load(): Promise<{ summaries: MessageSummary[]; state: IndexState }> {
    const names = await this.#storage.list();
    const state = names.includes(STATE_DOCUMENT)
      ? normalizeState(await this.#read<Partial<IndexState>>(STATE_DOCUMENT))
      : { lastSequence: 0, inboxes: [], messageCount: null };
    const snapshot = await this.#takeSnapshot(state);
    if (snapshot !== null) return { summaries: snapshot, state };
    // Read in parallel: one after the other, 200 shards (50,000 messages) spent most of a restart
    // waiting on reads.
    const shards = await mapConcurrently(
      names.filter((name) => name.startsWith(SHARD_PREFIX)),
      LOAD_CONCURRENCY,
      (name) => this.#read<Partial<ShardDocument>>(name),
    );
    const summaries: MessageSummary[] = [];
    for (const document of shards) {
      for (const summary of Array.isArray(document?.messages) ? document.messages : []) {
        if (isSummary(summary)) summaries.push(withCurrentFields(summary));
      }
    }
    return { summaries, state };
  }

  /**
   * The last step of a clean close: flushes, then writes the snapshot, unless a write failed and
   * the shards are behind (then the next start reads the shards and reconciles, as after a crash).
   */
  async writeSnapshot(): Promise<void> {
    await this.flush();
    if (this.#dirtyShards.size > 0 || this.#stateDirty) return;
    const state = this.#source.state();
    if (state.messageCount === null) return;
    const payload: SnapshotPayload = {
      format: SNAPSHOT_FORMAT,
      lastSequence: state.lastSequence,
      messageCount: state.messageCount,
      summaries: this.#source.all(),
    };
    try {
      await this.#storage.writeSnapshot(serialize(payload));
    } catch (error) {
      this.#reportFailure(error);
    }
  }

  /**
   * The clean close's snapshot, if there is one that agrees with `state`. Taken, not just read: it is
   * removed before it is used, since after the first change it would be stale and nothing may find
   * it after a crash. If it cannot be removed the open fails rather than risk that.
   */
  async #takeSnapshot(state: IndexState): Promise<MessageSummary[] | null> {
    const data = await this.#storage.readSnapshot().catch(() => null);
    if (data === null) return null;
    await this.#storage.removeSnapshot();
    return decodeSnapshot(data, state);
  }

  /** Until started, changes are only recorded (startup reconciliation flushes explicitly, once). */
  start(): void {
    this.#started = true;
    if (this.#dirtyShards.size > 0 || this.#stateDirty) this.#schedule();
  }

  markSequence(sequence: number): void {
    this.#dirtyShards.add(Math.floor(sequence / SHARD_SIZE));
    this.#schedule();
  }

  markState(): void {
    this.#stateDirty = true;
    this.#schedule();
  }

  /** Writes every dirty document now. Flushes never overlap. */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#flushing = this.#flushing.then(() => this.#writeDirty());
    return this.#flushing;
  }

  async #writeDirty(): Promise<void> {
    const shards = [...this.#dirtyShards];
    this.#dirtyShards.clear();
    const writeState = this.#stateDirty;
    this.#stateDirty = false;

    for (const shard of shards) {
      const name = `${SHARD_PREFIX}${String(shard).padStart(6, "0")}`;
      try {
        const messages = this.#source.summariesInShard(shard);
        if (messages.length === 0) await this.#storage.remove(name);
        else await new Low<ShardDocument>(this.#storage.adapter(name), { messages }).write();
      } catch (error) {
        this.#dirtyShards.add(shard);
        this.#reportFailure(error);
      }
    }
    if (writeState) {
      try {
        const state = this.#source.state();
        // A shard that failed to write may disagree with the count: vouch for none of them.
        if (this.#dirtyShards.size > 0) state.messageCount = null;
        await new Low<IndexState>(this.#storage.adapter(STATE_DOCUMENT), state).write();
      } catch (error) {
        this.#stateDirty = true;
        this.#reportFailure(error);
      }
    }
  }

  #schedule(): void {
    if (this.#timer || !this.#started) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, FLUSH_DELAY_MS);
    // A pending flush must not keep the process alive; close() flushes, and startup reconciles.
    this.#timer.unref();
  }

  async #read<T>(name: string): Promise<T | null> {
    try {
      const db = new Low<T | null>(this.#storage.adapter<T | null>(name), null);
      await db.read();
      return db.data;
    } catch {
      return null;
    }
  }

  #reportFailure(error: unknown): void {
    // The index is a cache of the files; a failed write is retried on the next flush. Say it once.
    if (this.#reportedFailure) return;
    this.#reportedFailure = true;
    console.error(
      "mailnest: writing the message index failed (will retry; messages are safe on disk):",
      error,
    );
  }
}

function decodeSnapshot(data: Buffer, state: IndexState): MessageSummary[] | null {
  let payload: Partial<SnapshotPayload> | null;
  try {
    payload = deserialize(data) as Partial<SnapshotPayload> | null;
  } catch {
    return null; // torn or not ours: the shards are read instead
  }
  if (
    payload?.format !== SNAPSHOT_FORMAT ||
    payload.lastSequence !== state.lastSequence ||
    state.messageCount === null ||
    payload.messageCount !== state.messageCount ||
    !Array.isArray(payload.summaries) ||
    payload.summaries.length !== state.messageCount ||
    !payload.summaries.every(isSummary)
  ) {
    return null;
  }
  return payload.summaries.map(withCurrentFields);
}

function normalizeState(value: Partial<IndexState> | null): IndexState {
  return {
    lastSequence: Number.isSafeInteger(value?.lastSequence) ? (value?.lastSequence ?? 0) : 0,
    messageCount: Number.isSafeInteger(value?.messageCount) ? (value?.messageCount ?? null) : null,
    inboxes: Array.isArray(value?.inboxes)
      ? value.inboxes.filter(
          (inbox): inbox is InboxRegistration =>
            typeof inbox?.address === "string" &&
            typeof inbox.createdAt === "string" &&
            (inbox.expiresAt === null || typeof inbox.expiresAt === "string"),
        )
      : [],
  };
}

/** Summaries indexed by 0.1 lack the fields added since; fill them as a new ingest would have. */
function withCurrentFields(summary: MessageSummary): MessageSummary {
  const partial = summary as Partial<MessageSummary> & MessageSummary;
  partial.receivedTime ??= Date.parse(summary.receivedAt);
  partial.duplicateOf ??= null;
  return partial;
}

function isSummary(value: unknown): value is MessageSummary {
  const summary = value as Partial<MessageSummary> | null;
  return (
    typeof summary?.id === "string" &&
    MESSAGE_ID_PATTERN.test(summary.id) &&
    Number.isSafeInteger(summary.sequence) &&
    Array.isArray(summary.inboxes) &&
    typeof summary.read === "boolean"
  );
}
