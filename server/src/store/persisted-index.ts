import { randomUUID } from "node:crypto";
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
const SNAPSHOT_FORMAT = 3;
/**
 * Summaries per frame of the snapshot (about 1.3 MB at 2 KB messages). The snapshot is a header frame
 * and then the summaries in frames of this many, each serialised on its own, so that a start reads
 * and decodes it a frame at a time through one buffer instead of reading it whole: on this project's
 * 2-core VM a fresh 33 MB buffer cost about 90 ms of page faults before a byte was decoded, and
 * decoding 25 frames of 2,000 took less time than one of 50,000 (docs/performance.md). A list or
 * verdict set shared between summaries is written once per frame it appears in, not once overall:
 * about 1 % more bytes.
 */
const SUMMARIES_PER_FRAME = 2_000;

/**
 * When a running index replaces its snapshot (`PersistedIndex.refreshSnapshot`): whenever a start
 * would otherwise read at least `minShardsToRead` shards besides the snapshot, and at least
 * `minShareToRead` of all the shards (all of them when there is no snapshot yet), once no summary has
 * changed for `quietMs`, and once the server is up after a start (`refreshIfBehind`).
 */
export interface SnapshotRefreshPolicy {
  quietMs: number;
  minShardsToRead: number;
  /** 0–1. */
  minShareToRead: number;
  /**
   * Without a quiet spell: once a start would read this many shards besides the snapshot, the
   * snapshot is replaced while changes keep coming (checked after each flush).
   */
  busyShardsToRead: number;
}

/**
 * A data directory's policy. Without it only a clean close wrote a snapshot, so a sandbox that ran
 * for long and was then killed read every shard written since its last clean close: at 70,000
 * messages with none, 2.4–3.7 s to ready here against 1.8–2.3 s from a snapshot written while
 * running (docs/performance.md). Serialising the summaries holds the event loop (about 35 ms at the
 * default 10,000 messages, 0.2 s at 50,000), which is why it waits for a quiet spell rather than
 * running on a timer; a message that arrives during it waits that long for its 250. What it costs
 * grows with every summary, what it saves a start with the shards changed since the last one: a
 * quarter of them is where the saving (5–7 µs a summary read from a shard rather than the
 * snapshot) comes near the cost (about 4 µs a summary serialised), and eight shards (2,000 messages,
 * about 50 ms of reading at a start) is where a snapshot starts to matter at all.
 *
 * A sustained burst has no quiet spell, so a crash at its end read every shard written during it: 79
 * after 20,000 messages, about a quarter of a second of a restart's 1.9 s (docs/performance.md).
 * Since a refresh serialises one frame at a time (10–30 ms of event loop each), it also runs during
 * changes once 64 shards (16,000 messages) would be read: about 0.3 s of CPU at 50,000 messages,
 * spread over the burst, against a restart that reads at most about 64 shards.
 */
export const SNAPSHOT_REFRESH: SnapshotRefreshPolicy = {
  quietMs: 5_000,
  minShardsToRead: 8,
  minShareToRead: 0.25,
  busyShardsToRead: 64,
};

/** The snapshot's first frame; the frames after it are arrays of summaries. */
interface SnapshotHeader {
  format: number;
  /** Named by `state.json`'s `snapshot.id`; a snapshot it does not name is not used. */
  id: string;
  /** Summaries in the frames after this one: fewer means the file was cut short. */
  count: number;
}

/** What `state.json` says about the snapshot: which one the shards overlay, and which shards changed since. */
interface SnapshotLink {
  id: string;
  changedShards: number[];
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
 * A clean close also leaves every summary in one snapshot (V8's serializer, `summaries.snapshot`, in
 * frames of `SUMMARIES_PER_FRAME`):
 * at 50,000 messages the shards are 47 MB of JSON whose decoding, parsing and garbage took most of a
 * restart (docs/performance.md). `state.json` names the snapshot and lists every shard written since
 * it, each one *before* that shard is written, so a crash can only over-report. A start reads the
 * snapshot, then the listed shards over it (a listed shard that is gone empties its range), even
 * after a crash. A snapshot that `state.json` does not name, or that is damaged, is ignored and every
 * shard is read, as before the snapshot existed.
 */
export class PersistedIndex {
  readonly #storage: IndexStorage;
  readonly #source: IndexSource;
  readonly #dirtyShards = new Set<number>();
  #stateDirty = false;
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #writtenLastSequence = 0;
  #reportedFailure = false;
  #started = false;
  /** The snapshot the shards overlay (`state.json` names it), or null: then every shard is read. */
  #snapshotId: string | null = null;
  /** Shards written since that snapshot, as `state.json` records them. */
  #changedShards = new Set<number>();
  readonly #refresh: SnapshotRefreshPolicy | null;
  /** Fires `quietMs` after the first change since the last refresh check; see `#onQuietTimer`. */
  #quietTimer: NodeJS.Timeout | null = null;
  /** `Date.now()` of the last summary change. A timestamp, not a timer re-armed per change. */
  #lastChange = 0;
  /** Set by the close's `writeSnapshot`: no refresh after it. */
  #closed = false;
  /** A refresh is queued or running: a busy index asks for no second one meanwhile. */
  #refreshing = false;

  constructor(
    storage: IndexStorage,
    source: IndexSource,
    options: { refresh?: SnapshotRefreshPolicy | null } = {},
  ) {
    this.#storage = storage;
    this.#source = source;
    this.#refresh = options.refresh ?? null;
  }

  /** Everything the documents hold; unreadable documents count as empty (reconciliation fills the gap). */
  async load(): Promise<{ summaries: MessageSummary[]; state: IndexState }> {
    const names = await this.#storage.list();
    const document = names.includes(STATE_DOCUMENT)
      ? await this.#read<Partial<IndexState> & { snapshot?: unknown }>(STATE_DOCUMENT)
      : null;
    const state = normalizeState(document);
    this.#writtenLastSequence = state.lastSequence;
    const link = normalizeLink(document?.snapshot);
    const snapshot = link === null ? null : await this.#readSnapshot(link.id);
    if (link !== null && snapshot !== null) {
      this.#snapshotId = link.id;
      this.#changedShards = new Set(link.changedShards);
      const kept = snapshot.filter((summary) => !this.#changedShards.has(shardOf(summary.sequence)));
      const overlay = await this.#readShards(
        link.changedShards.map(shardName).filter((name) => names.includes(name)),
      );
      const summaries = [...kept, ...overlay].sort((a, b) => a.sequence - b.sequence);
      return { summaries, state };
    }
    const summaries = await this.#readShards(names.filter((name) => name.startsWith(SHARD_PREFIX)));
    return { summaries, state };
  }

  /**
   * The last step of a clean close: flushes, writes a new snapshot, then points `state.json` at it
   * with no shard changed since. Skipped when a write failed and the shards are behind. A crash
   * between the two writes leaves `state.json` naming the previous snapshot, which the new file
   * replaced: the next start finds no snapshot it names and reads the shards.
   */
  async writeSnapshot(): Promise<boolean> {
    this.#closed = true;
    this.#stopQuietTimer();
    await this.flush();
    if (this.#dirtyShards.size > 0 || this.#stateDirty) return false;
    return this.#writeSnapshotAndState({ vouchForCount: true });
  }

  /**
   * Writes every summary to a new snapshot, then points `state.json` at it with no shard changed
   * since. A failure is reported once; the snapshot `state.json` named before stays named.
   */
  async #writeSnapshotAndState(state: { vouchForCount: boolean }): Promise<boolean> {
    try {
      const id = randomUUID();
      // The list is captured now; the summaries are serialised a frame at a time as the file is
      // written (see `refreshSnapshot` for why a change in between is safe).
      await this.#storage.writeSnapshot(encodeSnapshot(id, [...this.#source.all()]));
      this.#snapshotId = id;
      this.#changedShards = new Set();
      await this.#writeState(state);
      return true;
    } catch (error) {
      this.#reportFailure(error);
      return false;
    }
  }

  /**
   * Replaces the snapshot while the index keeps changing, so that a start after a crash reads only
   * the shards written after this instead of every one written since the last clean close. Queued
   * with the flushes, so no shard is written while it runs. The list of summaries is captured in one
   * synchronous step, and each frame is serialised just before it is written, so the event loop is
   * held for one frame at a time (10–30 ms for 2,000 summaries), not for all of them (0.23–0.3 s at
   * 50,000, measured on the bench's data directory). A summary changed,
   * removed or added after the capture marks its shard dirty as usual; the snapshot may hold it as it
   * was or as it became, and either way the flush after this lists the shard as changed (against the
   * new snapshot) before writing it, so the shard is what the next start reads for that range. A
   * crash before `state.json` names the new snapshot leaves it naming the old one, whose id the new
   * file no longer carries: the next start reads every shard, as when there is no snapshot.
   */
  refreshSnapshot(): Promise<void> {
    this.#refreshing = true;
    this.#flushing = this.#flushing
      .then(() => this.#replaceSnapshot())
      .finally(() => {
        this.#refreshing = false;
      });
    return this.#flushing;
  }

  async #replaceSnapshot(): Promise<void> {
    if (this.#closed) return;
    const written = await this.#writeDirty();
    // A failed write leaves its shard (or state.json) behind the index: not a moment to vouch for the
    // shards; the next quiet spell or busy check tries again. Shards dirty again since, from changes
    // made while the writes ran (always, under a sustained burst), are no reason to wait: the
    // snapshot takes them as they are, and the flush after it lists them against it before writing.
    if (!written || this.#closed) return;
    // Shards changed while the file is written are dirty and not yet written: their count may not
    // match, so this state vouches for none (a clean close writes one that does).
    await this.#writeSnapshotAndState({ vouchForCount: false });
  }

  /**
   * After a flush: replaces the snapshot without waiting for a quiet spell once a start would read
   * `busyShardsToRead` shards besides it (every shard when there is none yet). Counted from the
   * shards listed as changed, which each flush brings up to date, so the check costs nothing per
   * message. Never while a refresh is queued or running, before `start` or after the close.
   */
  #refreshIfBusy(): void {
    const policy = this.#refresh;
    if (policy === null || !this.#started || this.#closed || this.#refreshing) return;
    const toRead =
      this.#snapshotId === null
        ? Math.ceil(this.#source.all().length / SHARD_SIZE)
        : this.#changedShards.size;
    if (toRead >= policy.busyShardsToRead) void this.refreshSnapshot();
  }

  /** Whether a start would read enough shards besides the snapshot for the policy to replace it. */
  #behind(policy: SnapshotRefreshPolicy): boolean {
    const all = Math.ceil(this.#source.all().length / SHARD_SIZE);
    // Without a snapshot a start reads every shard.
    const toRead =
      this.#snapshotId === null ? all : new Set([...this.#changedShards, ...this.#dirtyShards]).size;
    return toRead >= policy.minShardsToRead && toRead >= policy.minShareToRead * all;
  }

  #noteChange(policy: SnapshotRefreshPolicy): void {
    this.#lastChange = Date.now();
    if (this.#quietTimer !== null || !this.#started || this.#closed) return;
    this.#armQuietTimer(policy.quietMs);
  }

  #armQuietTimer(delayMs: number): void {
    this.#quietTimer = setTimeout(() => this.#onQuietTimer(), delayMs);
    // Like the flush timer: never what keeps the process alive.
    this.#quietTimer.unref();
  }

  #onQuietTimer(): void {
    this.#quietTimer = null;
    const policy = this.#refresh;
    if (policy === null || this.#closed) return;
    const quietFor = Date.now() - this.#lastChange;
    // Changes kept coming: look again when the last one is `quietMs` old.
    if (quietFor < policy.quietMs) this.#armQuietTimer(policy.quietMs - quietFor);
    else if (this.#behind(policy)) void this.refreshSnapshot();
  }

  #stopQuietTimer(): void {
    if (this.#quietTimer !== null) clearTimeout(this.#quietTimer);
    this.#quietTimer = null;
  }

  async #readSnapshot(id: string): Promise<MessageSummary[] | null> {
    return decodeSnapshot(this.#storage.readSnapshot(), id);
  }

  async #readShards(names: string[]): Promise<MessageSummary[]> {
    // Read in parallel: one after the other, 200 shards (50,000 messages) spent most of a restart
    // waiting on reads.
    const shards = await mapConcurrently(names, LOAD_CONCURRENCY, (name) =>
      this.#read<Partial<ShardDocument>>(name),
    );
    const summaries: MessageSummary[] = [];
    for (const document of shards) {
      for (const summary of Array.isArray(document?.messages) ? document.messages : []) {
        if (isSummary(summary)) summaries.push(withCurrentFields(summary));
      }
    }
    return summaries;
  }

  /** Until started, changes are only recorded (startup reconciliation flushes explicitly, once). */
  start(): void {
    this.#started = true;
    if (this.#dirtyShards.size > 0 || this.#stateDirty) this.#schedule();
  }

  /**
   * Writes a new snapshot now when a start would read enough shards besides it (the policy's
   * minimums). Called once the server is up after a start: one that read many shards (after
   * a crash, or with no snapshot yet) would otherwise leave the next start to read them all again,
   * and crashes come in runs (an out-of-memory loop, a supervisor restarting a failing host), while
   * the next quiet spell may be far off. Not before the server is up: the capture holds the event loop.
   */
  refreshIfBehind(): void {
    const policy = this.#refresh;
    if (policy === null || this.#closed || !this.#behind(policy)) return;
    void this.refreshSnapshot();
  }

  markSequence(sequence: number): void {
    this.#dirtyShards.add(shardOf(sequence));
    this.#schedule();
    if (this.#refresh !== null) this.#noteChange(this.#refresh);
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
    this.#flushing = this.#flushing.then(async () => {
      await this.#writeDirty();
    });
    return this.#flushing;
  }

  /** Returns whether every write it made succeeded. */
  async #writeDirty(): Promise<boolean> {
    const shards = [...this.#dirtyShards];
    this.#dirtyShards.clear();
    const writeState = this.#stateDirty;
    this.#stateDirty = false;

    // The intention first: `state.json` lists a shard as changed since the snapshot before the shard
    // changes. If that cannot be recorded, no shard is written this time.
    const unlisted =
      this.#snapshotId === null ? [] : shards.filter((shard) => !this.#changedShards.has(shard));
    if (unlisted.length > 0) {
      for (const shard of unlisted) this.#changedShards.add(shard);
      try {
        await this.#writeState({ vouchForCount: false });
      } catch (error) {
        for (const shard of unlisted) this.#changedShards.delete(shard);
        for (const shard of shards) this.#dirtyShards.add(shard);
        this.#stateDirty ||= writeState;
        this.#reportFailure(error);
        return false;
      }
    }
    let failed = false;

    for (const shard of shards) {
      const name = shardName(shard);
      try {
        const messages = this.#source.summariesInShard(shard);
        if (messages.length === 0) await this.#storage.remove(name);
        else await new Low<ShardDocument>(this.#storage.adapter(name), { messages }).write();
      } catch (error) {
        failed = true;
        this.#dirtyShards.add(shard);
        this.#reportFailure(error);
      }
    }
    if (writeState) {
      try {
        // A shard that failed to write may disagree with the count: vouch for none of them.
        await this.#writeState({ vouchForCount: this.#dirtyShards.size === 0 });
      } catch (error) {
        failed = true;
        this.#stateDirty = true;
        this.#reportFailure(error);
      }
    }
    if (!failed) this.#refreshIfBusy();
    return !failed;
  }

  /**
   * `state.json`: the source's state, and the snapshot link. The count is left out (null) while the
   * shards may disagree with it: before they are written, or after one failed.
   */
  async #writeState({ vouchForCount } = { vouchForCount: true }): Promise<void> {
    const state = this.#source.state();
    if (!vouchForCount) state.messageCount = null;
    const snapshot: SnapshotLink | null =
      this.#snapshotId === null
        ? null
        : { id: this.#snapshotId, changedShards: [...this.#changedShards].sort((a, b) => a - b) };
    await new Low<IndexState & { snapshot: SnapshotLink | null }>(this.#storage.adapter(STATE_DOCUMENT), {
      ...state,
      snapshot,
    }).write();
    this.#writtenLastSequence = state.lastSequence;
  }

  /**
   * The high-water sequence `state.json` holds on disk: what a start after a crash would know even
   * if every message above the newest left were deleted.
   */
  get writtenLastSequence(): number {
    return this.#writtenLastSequence;
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

/**
 * The frames `decodeSnapshot` reads, each serialised when it is asked for: the summaries as they are
 * then. `summaries` must not change length meanwhile (pass a copy of a list that does).
 */
function* encodeSnapshot(id: string, summaries: readonly MessageSummary[]): Generator<Buffer> {
  const header: SnapshotHeader = { format: SNAPSHOT_FORMAT, id, count: summaries.length };
  yield serialize(header);
  for (let start = 0; start < summaries.length; start += SUMMARIES_PER_FRAME) {
    yield serialize(summaries.slice(start, start + SUMMARIES_PER_FRAME));
  }
}

/**
 * Every summary of the snapshot named `id`, or null when there is none, or it is another one, of
 * another format, cut short or damaged: then the shards are read instead. Each frame is decoded as it
 * is read (its buffer is reused for the next).
 */
async function decodeSnapshot(frames: AsyncIterable<Buffer>, id: string): Promise<MessageSummary[] | null> {
  let header: SnapshotHeader | null = null;
  const summaries: MessageSummary[] = [];
  try {
    for await (const frame of frames) {
      const value: unknown = deserialize(frame);
      if (header === null) {
        if (!isHeader(value) || value.format !== SNAPSHOT_FORMAT || value.id !== id) return null;
        header = value;
        continue;
      }
      if (!Array.isArray(value)) return null;
      for (const summary of value) {
        if (!isSummary(summary)) return null;
        summaries.push(withCurrentFields(summary));
      }
    }
  } catch {
    return null; // torn or not ours: the shards are read instead
  }
  return header !== null && summaries.length === header.count ? summaries : null;
}

function isHeader(value: unknown): value is SnapshotHeader {
  const header = value as Partial<SnapshotHeader> | null;
  return (
    typeof header?.format === "number" && typeof header.id === "string" && Number.isSafeInteger(header.count)
  );
}

function normalizeLink(value: unknown): SnapshotLink | null {
  const link = value as Partial<SnapshotLink> | null | undefined;
  if (typeof link?.id !== "string" || !Array.isArray(link.changedShards)) return null;
  if (!link.changedShards.every((shard) => Number.isSafeInteger(shard) && shard >= 0)) return null;
  return { id: link.id, changedShards: [...link.changedShards] };
}

function shardOf(sequence: number): number {
  return Math.floor(sequence / SHARD_SIZE);
}

function shardName(shard: number): string {
  return `${SHARD_PREFIX}${String(shard).padStart(6, "0")}`;
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
