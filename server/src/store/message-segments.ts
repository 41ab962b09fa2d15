import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { readdir, rm, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import type { AppendFile } from "./append-file.js";
import { type Locator, LocatorTable, mergeCaptured } from "./locator-table.js";
import { RecordStaging } from "./record-staging.js";
import { scanSegmentFile } from "./segment-file-scan.js";
import {
  encodeSegmentSnapshot,
  readSegmentSnapshot,
  type SegmentSnapshot,
  type SegmentState,
  writeSegmentSnapshot,
} from "./segment-snapshot.js";
import { encodeMessageRecordInto, encodeTombstone, positionAt, RECORD_HEADER_OFFSET } from "./wal-record.js";
import { openZeroFilledFile } from "./zero-filled-file.js";

/**
 * How a new segment is opened: the injected opener (tests), or one that writes zeros ahead of the
 * records in steps of a sixteenth of a segment (1 MiB for the default 64 MiB; tests' small segments
 * get small steps, so their crash copies hold zeros too).
 */
function segmentOpener(options: MessageSegmentsOptions): (path: string) => Promise<AppendFile> {
  if (options.openAppendFile) return (path) => options.openAppendFile!(path);
  const fillBytes = Math.min(1024 * 1024, Math.max(4096, Math.floor(options.segmentBytes / 16)));
  return (path) =>
    openZeroFilledFile(path, {
      fillBytes,
      lowWaterBytes: 2 * fillBytes,
      gapBytes: Math.floor(fillBytes / 4),
    });
}

export interface MessageSegmentsOptions {
  /** `<dataDir>/segments`. */
  directory: string;
  /** A new segment is started once the current one holds this many bytes. */
  segmentBytes: number;
  /** fsyncs the directory, so a new segment's name (or an unlinked one's absence) is durable. */
  syncDir(): Promise<void>;
  /**
   * Opens a new segment for writing. @default `openZeroFilledFile`: records written over zeros
   * already on disk, so a group commit's fdatasync commits no metadata.
   */
  openAppendFile?(path: string): Promise<AppendFile>;
  /** @default `DEFERRED_TOMBSTONE_MS`; tests make it long to take a crash copy before it passes. */
  deferredTombstoneMs?: number;
  /**
   * The locator file a start writes after scanning is encoded and written once this resolves (the
   * server is up): at 70,000 messages that is a tenth of a second a crash restart need not wait for.
   */
  backgroundWorkAfter?: Promise<void>;
}

class SegmentInfo {
  bytes = 0;
  /** Bytes of message records that are still some message's latest. */
  live = 0;
  /** Ids whose tombstone is here: needed while an older segment may still hold their records. */
  readonly tombstones = new Set<string>();
  tombstoneBytes = 0;
  readFd: number | null = null;

  constructor(
    readonly number: number,
    readonly path: string,
  ) {}
}

interface Pending {
  chunks: Buffer[];
  bytes: number;
  kind: "message" | "tombstone";
  id: string;
  headerLength: number;
  rawLength: number;
  /** The writer may fdatasync this record on the event loop (see `appendMessage`). */
  syncOnLoop?: boolean;
  /** A tombstone that waits for the next batch instead of starting one (see `remove`). */
  deferred?: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * An fdatasync runs on the event loop only while they take less than this on average (a moving
 * average over both kinds): on a slow or busy disk, blocking the loop would stall every connection
 * and request. A single slow one (the disk writing back a fill of zeros) does not tip it.
 */
const ON_LOOP_MAX_MS = 1;
/** Weight of the newest fdatasync in that average. */
const SYNC_COST_WEIGHT = 1 / 16;

/**
 * How long a deferred tombstone waits for a batch to ride along with before it is written on its
 * own: the longest a crash can bring its message back (for retention to remove again at start).
 */
const DEFERRED_TOMBSTONE_MS = 50;

/** Bytes copied by compaction before it waits for their group commit: bounds its memory. */
const COMPACTION_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * The home of every message up to the buffer limit (docs/storage.md): framed, checksummed
 * `[sidecar JSON | raw bytes]` records appended to numbered segment files and made durable by a
 * group commit (every record queued while the previous write + fdatasync ran goes out in the next
 * single write + fdatasync). Segments are kept; a locator per message says where its latest record
 * is, and reads are byte ranges of it. A sidecar change appends the message again (the newest
 * position wins), a deletion appends a tombstone, and a background compaction copies the live
 * records of a segment that is more than half dead into the current one, fdatasyncs, and only then
 * unlinks it. Startup scans the segments in order to rebuild the locators, truncating a torn tail.
 */
export class MessageSegments {
  readonly #options: MessageSegmentsOptions;
  readonly #openFile: (path: string) => Promise<AppendFile>;
  #locators = new LocatorTable();
  /** Oldest first (Map keeps insertion order, and numbers only grow). */
  readonly #segments = new Map<number, SegmentInfo>();
  #current: SegmentInfo;
  #file: AppendFile;
  #queue: Pending[] = [];
  /** Ids whose tombstones are deferred, taken along by the next batch written outside a compaction. */
  readonly #deferred = new Set<string>();
  #deferredTimer: NodeJS.Timeout | null = null;
  /** Where the queued records are encoded; the batch being written holds the other (see `RecordStaging`). */
  #staging = new RecordStaging();
  #writtenStaging = new RecordStaging();
  readonly #reserve = (size: number): Buffer => this.#staging.reserve(size);
  #draining = false;
  #drained: Promise<void> = Promise.resolve();
  #broken = false;
  #closing = false;
  /** Set while a compaction copies: sidecar writes and removals wait, so no copy can land after them. */
  #compaction: Promise<void> | null = null;
  #writers = 0;
  #writersIdle: (() => void) | null = null;
  readonly #toCompact = new Set<number>();
  /** False while startup scans: compaction waits until every segment is loaded. */
  #ready = false;
  /** The locator file writes, one after another: they share a temp file and the newest must land last. */
  #persisting: Promise<void> = Promise.resolve();
  /**
   * Set by a rotation: the state is to be captured for the locator file before anything is placed in
   * the new segment, which the first batch does while its fdatasync runs (off the acknowledgement path).
   */
  #capturePending = false;
  /** Moving average of how long an fdatasync took, in milliseconds (see `ON_LOOP_MAX_MS`). */
  #syncCostMs = 0;
  #requestClose: () => void = () => {};
  readonly #closeRequested = new Promise<void>((resolve) => {
    this.#requestClose = resolve;
  });

  private constructor(
    options: MessageSegmentsOptions,
    openFile: (path: string) => Promise<AppendFile>,
    current: SegmentInfo,
    file: AppendFile,
  ) {
    this.#options = options;
    this.#openFile = openFile;
    this.#current = current;
    this.#file = file;
  }

  /** Scans what is there (oldest first, torn tails truncated) and starts a new current segment. */
  static async open(options: MessageSegmentsOptions): Promise<MessageSegments> {
    const found = (await readdir(options.directory))
      .map((name) => SEGMENT_FILE_PATTERN.exec(name))
      .filter((match) => match !== null)
      .map((match) => Number(match[1]))
      .sort((a, b) => a - b);
    const number = (found.at(-1) ?? 0) + 1;
    const path = segmentFilePath(options.directory, number);
    const openFile = segmentOpener(options);
    const file = await openFile(path);
    await options.syncDir();
    const segments = new MessageSegments(options, openFile, new SegmentInfo(number, path), file);
    try {
      const snapshot = await readSegmentSnapshot(options.directory);
      const known = snapshot && (await matches(snapshot, found, options.directory)) ? snapshot : null;
      if (known) segments.#restore(known, found);
      const restored = new Set(known?.segments.map((segment) => segment.number));
      for (const existing of found) {
        if (restored.has(existing)) continue;
        await segments.#load(existing);
        segments.scanned.push(existing);
      }
    } catch (error) {
      await segments.close().catch(() => {});
      throw error;
    }
    await segments.#removeEmpty();
    segments.#segments.set(number, segments.#current);
    segments.#ready = true;
    // Every segment is closed and the current one empty: a point the locator file can record, so a
    // crash before the first rotation does not read again what this start just read.
    if (segments.scanned.length > 0) segments.#persistInBackground(options.backgroundWorkAfter);
    for (const segment of segments.#segments.values()) segments.#considerCompaction(segment);
    return segments;
  }

  /**
   * Segments with no record: the current segment of a run that was killed before its first write
   * (a clean close removes its own). Nothing would ever compact them away, so each such crash left
   * one more empty file for every later start to list, check and carry in its locator file.
   */
  async #removeEmpty(): Promise<void> {
    const empty = [...this.#segments.values()].filter((segment) => segment.bytes === 0);
    if (empty.length === 0) return;
    for (const segment of empty) {
      this.#closeReader(segment);
      this.#segments.delete(segment.number);
      await rm(segment.path, { force: true });
    }
    await this.#options.syncDir();
  }

  async #load(number: number): Promise<void> {
    const path = segmentFilePath(this.#options.directory, number);
    const { positions, validLength, skipped, length } = scanSegmentFile(path);
    // Records after a torn frame at the end were never acknowledged: each acknowledgement waits for
    // the fdatasync of everything before it.
    if (validLength < length) await truncate(path, validLength);
    for (const [offset, length] of skipped) {
      console.error(`mailnest: segment ${path} has ${length} damaged bytes at ${offset}; skipped`);
    }
    const segment = new SegmentInfo(number, path);
    this.#segments.set(number, segment);
    for (const position of positions) {
      this.#place(segment, position.offset, { ...position, bytes: position.frameLength });
    }
    segment.bytes = validLength;
  }

  /** The segments read at startup (the others came from the locator file). */
  readonly scanned: number[] = [];

  /**
   * A segment the file names may be gone since: compaction unlinks a segment only once its live
   * records and tombstones are durable in a newer one, which is never named by a file written before
   * that compaction, so the scan of the newer segments re-places them. A locator in such a segment
   * is not restored: that segment's compaction dropped it.
   */
  #restore(snapshot: SegmentSnapshot, found: readonly number[]): void {
    const present = new Set(found);
    for (const saved of snapshot.segments) {
      if (!present.has(saved.number)) continue;
      const segment = new SegmentInfo(saved.number, segmentFilePath(this.#options.directory, saved.number));
      segment.bytes = saved.bytes;
      segment.live = saved.live;
      segment.tombstoneBytes = saved.tombstoneBytes;
      for (const id of saved.tombstones) segment.tombstones.add(id);
      this.#segments.set(saved.number, segment);
    }
    this.#locators = new LocatorTable(snapshot.locators);
    this.#locators.retainSegments((segment) => this.#segments.has(segment));
  }

  /**
   * While nothing is placed in the current segment (a rotation's first batch, or the end of open) the
   * in-memory state describes exactly the closed segments: captured in this tick and written in the
   * background, so an acknowledgement never waits for the write. A write that fails leaves the
   * previous file, which is still right about what it names; the next start scans more, nothing is
   * lost.
   */
  #persistInBackground(after: Promise<void> = Promise.resolve()): void {
    const segments = [...this.#segments.values()].filter((segment) => segment !== this.#current);
    const state = this.#snapshot(segments);
    this.#persisting = this.#persisting
      .then(async () => {
        // Encoded later than this tick: a rotation's batch, or a start that is not up yet (a close
        // does not wait for a server that never came up).
        await Promise.race([after, this.#closeRequested]);
        await new Promise<void>((resolve) => setImmediate(resolve));
        const columns = mergeCaptured(state.locators);
        // The merged columns also become the table's base: what was placed before the capture leaves
        // its Map (unless a capture or a start's check came after, which folds next time).
        this.#locators.fold(columns, state.locators);
        await writeSegmentSnapshot(this.#options.directory, encodeSegmentSnapshot(state, columns));
        await this.#options.syncDir();
        this.persisted += 1;
      })
      .catch((error: unknown) => {
        console.error("mailnest: writing the segment locators failed:", error);
      });
  }

  /** Locator files written since open (rotations, a start that scanned, close). */
  persisted = 0;

  /** Resolves once every locator file captured so far is written (or has failed). */
  whenLocatorsWritten(): Promise<void> {
    return this.#persisting;
  }

  /** Per segment, oldest first: its length and the bytes that compaction counts as live. */
  accounts(): { number: number; bytes: number; live: number; tombstoneBytes: number }[] {
    return [...this.#segments.values()].map(({ number, bytes, live, tombstoneBytes }) => ({
      number,
      bytes,
      live,
      tombstoneBytes,
    }));
  }

  #snapshot(segments: readonly SegmentInfo[] = [...this.#segments.values()]): SegmentState {
    return {
      segments: segments.map((segment) => ({
        number: segment.number,
        bytes: segment.bytes,
        live: segment.live,
        tombstoneBytes: segment.tombstoneBytes,
        tombstones: [...segment.tombstones],
      })),
      locators: this.#locators.capture(),
    };
  }

  get ids(): IterableIterator<string> {
    return this.#locators.keys();
  }

  has(id: string): boolean {
    return this.#locators.has(id);
  }

  /** As stored now: less than recorded when the segment was cut short by hand (damage to report). */
  rawSize(id: string): number | null {
    const locator = this.#locators.get(id);
    if (locator === undefined) return null;
    const start = locator.offset + RECORD_HEADER_OFFSET + locator.headerLength;
    const fileSize = fstatSync(this.#readerOf(locator)).size;
    return Math.max(0, Math.min(locator.rawLength, fileSize - start));
  }

  /** The sidecar JSON as stored, or null when no segment holds the message. */
  readSidecar(id: string): Buffer | null {
    const locator = this.#locators.get(id);
    if (locator === undefined) return null;
    return this.#read(locator, RECORD_HEADER_OFFSET, locator.headerLength);
  }

  /**
   * The raw bytes, read at once (at most the buffer limit): a stream over a descriptor that
   * compaction may close would be a race; a blocking read of the page cache is microseconds.
   */
  readRaw(id: string): Buffer | null {
    const locator = this.#locators.get(id);
    if (locator === undefined) return null;
    return this.#read(locator, RECORD_HEADER_OFFSET + locator.headerLength, locator.rawLength);
  }

  /**
   * Resolves once the record is durable: the commit point.
   *
   * `syncOnLoop`: the caller knows no other message is on its way in (one client sending one message
   * at a time). If the record is then written alone, its fdatasync runs on the event loop: nothing
   * else waits for the loop, and it answers about 0.2 ms sooner than a round trip through the thread
   * pool, which wakes a pool thread and then the loop (docs/storage.md, "One message at a time").
   * With any other record in the batch, the pool does it, so the loop keeps parsing during it.
   */
  appendMessage(
    id: string,
    sidecarJson: string,
    raw: Buffer,
    options: { syncOnLoop?: boolean } = {},
  ): Promise<void> {
    // Encoded and queued in one step: the next batch to be written takes this staging area whole.
    const { chunks, headerLength } = encodeMessageRecordInto(this.#reserve, sidecarJson, raw);
    return this.#enqueue({
      chunks,
      kind: "message",
      id,
      headerLength,
      rawLength: raw.length,
      syncOnLoop: options.syncOnLoop === true,
    });
  }

  /** A new sidecar for a message held here: the message is appended again with it. */
  async replaceSidecar(id: string, sidecarJson: string): Promise<void> {
    await this.#asWriter(async () => {
      const raw = this.readRaw(id);
      if (raw === null) throw new Error(`message ${id} is not in a segment`);
      await this.appendMessage(id, sidecarJson, raw);
    });
  }

  /**
   * Durably deletes a message held here (a no-op for one that is not).
   *
   * `deferred`: the caller can afford the message coming back after a crash, because it removes it
   * again at the next start (retention: a sandbox at its `--max-messages` removes the oldest message
   * each time one arrives). Its tombstone then needs no fdatasync of its own: it rides along with the
   * next batch, or is written alone after `DEFERRED_TOMBSTONE_MS`, or by `close`; this resolves at
   * once. Otherwise every message received at the cap paid for two fdatasyncs, and the next message
   * waited behind the tombstone's.
   */
  async remove(id: string, options: { deferred?: boolean } = {}): Promise<void> {
    if (options.deferred === true && !this.#closing) {
      this.#defer(id);
      return;
    }
    await this.#asWriter(async () => {
      if (!this.#locators.has(id)) return;
      await this.#enqueue({
        chunks: encodeTombstone(id),
        kind: "tombstone",
        id,
        headerLength: 0,
        rawLength: 0,
      });
    });
  }

  /** Stops accepting records once those queued are durable; an empty current segment is removed. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#requestClose();
    await this.#compaction?.catch(() => {});
    this.#flushDeferred();
    await this.#drained;
    await this.#file.close().catch(() => {});
    for (const segment of this.#segments.values()) this.#closeReader(segment);
    if (this.#current.bytes === 0) {
      await rm(this.#current.path, { force: true }).catch(() => {});
      this.#segments.delete(this.#current.number);
    }
    // Only once opened: a store that failed to open has no account of its segments to leave.
    await this.#persisting;
    if (!this.#ready) return;
    try {
      await writeSegmentSnapshot(this.#options.directory, encodeSegmentSnapshot(this.#snapshot()));
      await this.#options.syncDir();
      this.persisted += 1;
    } catch (error) {
      // The next start scans the segments written since the last file instead; nothing is lost.
      console.error("mailnest: writing the segment locators failed:", error);
    }
  }

  #read(locator: Locator, from: number, length: number, buffer: Buffer = Buffer.allocUnsafe(length)): Buffer {
    const fd = this.#readerOf(locator);
    let done = 0;
    while (done < length) {
      const count = readSync(fd, buffer, done, length - done, locator.offset + from + done);
      // Cut short on disk (damaged by hand): what is there, which the size check then refuses.
      if (count === 0) return buffer.subarray(0, done);
      done += count;
    }
    return buffer;
  }

  /** A descriptor kept open per segment until it is compacted away or the store closes. */
  #readerOf(locator: Locator): number {
    const segment = this.#segments.get(locator.segment);
    if (segment === undefined) throw new Error(`segment ${locator.segment} is gone`);
    segment.readFd ??= openSync(segment.path, "r");
    return segment.readFd;
  }

  #closeReader(segment: SegmentInfo): void {
    if (segment.readFd === null) return;
    closeSync(segment.readFd);
    segment.readFd = null;
  }

  async #asWriter(work: () => Promise<void>): Promise<void> {
    while (this.#compaction) await this.#compaction.catch(() => {});
    this.#writers += 1;
    try {
      await work();
    } finally {
      this.#writers -= 1;
      if (this.#writers === 0) this.#writersIdle?.();
    }
  }

  #defer(id: string): void {
    if (!this.#locators.has(id)) return;
    this.#deferred.add(id);
    if (this.#deferredTimer === null) this.#armDeferredTimer();
  }

  #armDeferredTimer(): void {
    const ms = this.#options.deferredTombstoneMs ?? DEFERRED_TOMBSTONE_MS;
    this.#deferredTimer = setTimeout(() => this.#flushDeferred(), ms);
  }

  /** Writes the deferred tombstones now (with whatever else is queued), unless a compaction copies. */
  #flushDeferred(): void {
    if (this.#deferredTimer !== null) clearTimeout(this.#deferredTimer);
    this.#deferredTimer = null;
    if (this.#deferred.size === 0) return;
    if (this.#compaction !== null) {
      // After it: taken along by the first batch once it ends, or by this timer again.
      this.#armDeferredTimer();
      return;
    }
    this.#queue.push(...this.#takeDeferred());
    this.#startDrain();
  }

  /**
   * The deferred tombstones for this batch. Never during a compaction: a copy of their message made
   * after them would bring it back. Counted as writers until placed, so a compaction that starts
   * meanwhile waits for them, as it waits for `remove`'s. No one else waits: a batch that fails is
   * reported by the messages in it, and a tombstone it took along only lets retention remove its
   * message again at the next start.
   */
  #takeDeferred(): Pending[] {
    if (this.#deferred.size === 0 || this.#compaction !== null) return [];
    if (this.#deferredTimer !== null) clearTimeout(this.#deferredTimer);
    this.#deferredTimer = null;
    const ids = [...this.#deferred];
    this.#deferred.clear();
    this.#writers += 1;
    let left = ids.length;
    const settled = () => {
      left -= 1;
      if (left > 0) return;
      this.#writers -= 1;
      if (this.#writers === 0) this.#writersIdle?.();
    };
    return ids.map((id) => {
      const chunks = encodeTombstone(id);
      const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      const tombstone = { chunks, bytes, kind: "tombstone", id, headerLength: 0, rawLength: 0 } as const;
      return { ...tombstone, deferred: true, resolve: settled, reject: settled };
    });
  }

  #enqueue(record: Omit<Pending, "bytes" | "resolve" | "reject">): Promise<void> {
    return this.#enqueueAll([record])[0]!;
  }

  /** Queued together, so they share one write + fdatasync unless a batch is already being written. */
  #enqueueAll(records: Omit<Pending, "bytes" | "resolve" | "reject">[]): Promise<void>[] {
    if (this.#closing && this.#compaction === null) {
      return records.map(() => Promise.reject(new Error("the message segments are closed")));
    }
    const promises = records.map(
      (record) =>
        new Promise<void>((resolve, reject) => {
          const bytes = record.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
          this.#queue.push({ ...record, bytes, resolve, reject });
        }),
    );
    this.#startDrain();
    return promises;
  }

  #startDrain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#drained = this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#writeNextBatch();
    } finally {
      // Same tick as the loop's last check: nothing queued is stranded.
      this.#draining = false;
    }
  }

  async #writeNextBatch(): Promise<void> {
    if (this.#broken || this.#current.bytes >= this.#options.segmentBytes) {
      try {
        await this.#rotate();
      } catch (error) {
        for (const pending of [...this.#queue.splice(0), ...this.#takeDeferred()]) pending.reject(error);
        return;
      }
    }
    const batch = this.#queue.splice(0);
    for (const pending of this.#takeDeferred()) batch.push(pending);
    // Records queued from now on are encoded into the other staging area; this batch's is reset once
    // it is written or refused, which is before the next batch swaps them again.
    const staging = this.#staging;
    this.#staging = this.#writtenStaging;
    this.#writtenStaging = staging;
    try {
      await this.#writeBatch(batch);
    } finally {
      staging.reset();
    }
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    const segment = this.#current;
    try {
      await this.#file.append(batch.flatMap((pending) => pending.chunks));
      const synced = this.#datasync(this.#onLoop(batch));
      // Nothing is placed in the new segment before this batch is durable: the state still describes
      // exactly the closed segments.
      if (this.#capturePending) {
        this.#capturePending = false;
        this.#persistInBackground();
      }
      await synced;
    } catch (error) {
      this.#broken = true;
      await this.#disown(batch);
      for (const pending of batch) pending.reject(error);
      return;
    }
    let offset = segment.bytes;
    for (const pending of batch) {
      this.#place(segment, offset, pending);
      offset += pending.bytes;
    }
    segment.bytes = offset;
    for (const pending of batch) pending.resolve();
  }

  /** A batch of one marked record, not counting deferred tombstones: no one waits for those. */
  #onLoop(batch: readonly Pending[]): boolean {
    let own: Pending | null = null;
    for (const pending of batch) {
      if (pending.deferred === true) continue;
      if (own !== null) return false;
      own = pending;
    }
    return (
      own?.syncOnLoop === true && this.#file.datasyncNow !== undefined && this.#syncCostMs < ON_LOOP_MAX_MS
    );
  }

  /** The batch's fdatasync, on the loop or through the pool, timed for the moving average. */
  async #datasync(onLoop: boolean): Promise<void> {
    const started = performance.now();
    try {
      // Called before this function's first await: on the loop it blocks right here.
      if (onLoop) this.#file.datasyncNow!();
      else await this.#file.datasync();
    } finally {
      this.#syncCost(started);
    }
  }

  #syncCost(started: number): void {
    this.#syncCostMs += (performance.now() - started - this.#syncCostMs) * SYNC_COST_WEIGHT;
  }

  /**
   * After a failed write or fdatasync part of the batch may be on disk, and those messages are about
   * to be refused. Best effort: tombstones for them in a fresh segment, so a scan cannot bring them
   * back.
   */
  async #disown(batch: Pending[]): Promise<void> {
    const ids = batch.filter((pending) => pending.kind === "message" && !this.#locators.has(pending.id));
    if (ids.length === 0) return;
    try {
      await this.#rotate();
      const chunks = ids.flatMap((pending) => encodeTombstone(pending.id));
      await this.#file.append(chunks);
      await this.#file.datasync();
      let offset = this.#current.bytes;
      for (const pending of ids) {
        const tombstone = encodeTombstone(pending.id);
        const bytes = tombstone.reduce((sum, chunk) => sum + chunk.length, 0);
        this.#place(this.#current, offset, {
          kind: "tombstone",
          id: pending.id,
          headerLength: 0,
          rawLength: 0,
          bytes,
        });
        offset += bytes;
      }
      this.#current.bytes = offset;
    } catch {
      this.#broken = true;
    }
  }

  async #rotate(): Promise<void> {
    // After a failed write the closing segment may hold bytes past what it accounts for.
    const clean = !this.#broken;
    const number = this.#current.number + 1;
    const path = segmentFilePath(this.#options.directory, number);
    const file = await this.#openFile(path);
    try {
      await this.#options.syncDir();
    } catch (error) {
      await file.close().catch(() => {});
      await rm(path, { force: true }).catch(() => {});
      throw error;
    }
    const previous = this.#current;
    await this.#file.close().catch(() => {});
    this.#file = file;
    this.#current = new SegmentInfo(number, path);
    this.#segments.set(number, this.#current);
    this.#broken = false;
    this.#capturePending = clean && !this.#closing;
    this.#considerCompaction(previous);
  }

  /** Records a durable record's position: the newest position of an id wins. */
  #place(
    segment: SegmentInfo,
    offset: number,
    record: Pick<Pending, "kind" | "id" | "headerLength" | "rawLength" | "bytes">,
  ): void {
    const previous = this.#locators.get(record.id);
    if (previous !== undefined) {
      const old = this.#segments.get(previous.segment);
      if (old) {
        old.live -= previous.frameLength;
        this.#considerCompaction(old);
      }
    }
    if (record.kind === "tombstone") {
      this.#locators.delete(record.id);
      segment.tombstones.add(record.id);
      segment.tombstoneBytes += record.bytes;
      return;
    }
    this.#locators.set(record.id, {
      segment: segment.number,
      offset,
      frameLength: record.bytes,
      headerLength: record.headerLength,
      rawLength: record.rawLength,
    });
    segment.live += record.bytes;
  }

  /** Tombstones are live while an older segment exists: it may hold what they cancel. */
  #liveBytes(segment: SegmentInfo): number {
    const oldest = this.#segments.keys().next().value;
    return segment.live + (segment.number === oldest ? 0 : segment.tombstoneBytes);
  }

  #considerCompaction(segment: SegmentInfo): void {
    if (!this.#ready || segment === this.#current || this.#closing || !this.#segments.has(segment.number))
      return;
    if (this.#liveBytes(segment) * 2 >= segment.bytes) return;
    this.#toCompact.add(segment.number);
    if (this.#compaction === null) this.#compaction = this.#compactAll();
  }

  async #compactAll(): Promise<void> {
    try {
      // Writers already inside finish first; new ones wait for this compaction.
      if (this.#writers > 0) {
        await new Promise<void>((resolve) => {
          this.#writersIdle = resolve;
        });
        this.#writersIdle = null;
      }
      while (this.#toCompact.size > 0 && !this.#closing) {
        const number = Math.min(...this.#toCompact);
        this.#toCompact.delete(number);
        const segment = this.#segments.get(number);
        if (segment && segment !== this.#current) await this.#compact(segment);
      }
    } catch (error) {
      // The segment stays; its records are intact and the next change to it retries.
      console.error("mailnest: compacting a message segment failed:", error);
    } finally {
      this.#toCompact.clear();
      this.#compaction = null;
    }
  }

  /**
   * Copies the live records (and, unless it is the oldest, the tombstones) of `segment` into the
   * current one, waits for their fdatasync, then unlinks it. A crash in between leaves a message in
   * two segments: the scan keeps the newer position, which is the same bytes.
   */
  async #compact(segment: SegmentInfo): Promise<void> {
    const oldest = this.#segments.keys().next().value === segment.number;
    type Copy = Omit<Pending, "bytes" | "resolve" | "reject">;
    let batch: Copy[] = [];
    let batchBytes = 0;
    for (const [id, locator] of this.#locators.inSegment(segment.number)) {
      // Read into the staging area its batch is written from (enqueued below, in this same turn).
      const frame = this.#read(locator, 0, locator.frameLength, this.#staging.reserve(locator.frameLength));
      // A record damaged on disk since it was written is not copied: mid-segment it would hide every
      // record after it from the next scan. The segment stays, and the damage is reported on reads.
      if (positionAt(frame, 0)?.frameLength !== frame.length) {
        throw new Error(`record of ${id} in segment ${segment.number} is damaged; not compacting it`);
      }
      const { headerLength, rawLength } = locator;
      batch.push({ chunks: [frame], kind: "message", id, headerLength, rawLength });
      batchBytes += frame.length;
      if (batchBytes >= COMPACTION_BATCH_BYTES) {
        await Promise.all(this.#enqueueAll(batch));
        batch = [];
        batchBytes = 0;
      }
    }
    if (!oldest) {
      for (const id of segment.tombstones) {
        batch.push({ chunks: encodeTombstone(id), kind: "tombstone", id, headerLength: 0, rawLength: 0 });
      }
    }
    await Promise.all(this.#enqueueAll(batch));
    this.#closeReader(segment);
    this.#segments.delete(segment.number);
    await rm(segment.path, { force: true });
    await this.#options.syncDir();
    // Its removal may leave the next one oldest, whose tombstones are then dead weight.
    const next = this.#segments.values().next().value;
    if (next !== undefined && next !== this.#current && this.#liveBytes(next) * 2 < next.bytes) {
      this.#toCompact.add(next.number);
    }
  }
}

/**
 * Whether every segment the snapshot names is there with its recorded length (or gone, compacted
 * away), and no older one is unnamed.
 */
async function matches(
  snapshot: SegmentSnapshot,
  found: readonly number[],
  directory: string,
): Promise<boolean> {
  const recorded = new Map(snapshot.segments.map((segment) => [segment.number, segment.bytes]));
  const newest = Math.max(0, ...recorded.keys());
  if (found.some((number) => number <= newest && !recorded.has(number))) return false;
  for (const [number, bytes] of recorded) {
    try {
      if ((await stat(segmentFilePath(directory, number))).size !== bytes) return false;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") return false;
    }
  }
  return true;
}

export function segmentFilePath(directory: string, number: number): string {
  return join(directory, `${String(number).padStart(12, "0")}.seg`);
}

export const SEGMENT_FILE_PATTERN = /^(\d{12})\.seg$/;
