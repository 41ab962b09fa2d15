import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type AppendFile, openAppendFile } from "./append-file.js";
import { encodeMessageRecord, encodeTombstone } from "./wal-record.js";

export interface WriteAheadLogOptions {
  /** `<dataDir>/wal`, already emptied by recovery. */
  directory: string;
  /** A segment is closed (and queued for checkpoint) once it holds this many bytes… */
  segmentBytes: number;
  /** …or once it has held records for this long. */
  segmentMs: number;
  /** The files a message record stands for (`.eml` and sidecar), fsync'd by the checkpoint. */
  filesOf(id: string): string[];
  /** fsyncs one file; a missing file (the message was deleted since) must resolve, not reject. */
  syncFile(path: string): Promise<void>;
  /** fsyncs `messages/`, so the names of checkpointed files are durable too. */
  syncMessagesDir(): Promise<void>;
  /**
   * Makes every file of the file system durable at once (`file-system-sync.ts`); when given, the
   * checkpoint calls it once for all the segments closed by then, instead of `syncFile` per file and
   * `syncMessagesDir`. If it ever fails, the checkpoint falls back to file-by-file fsyncs for good.
   */
  syncFileSystem?(): Promise<void>;
  /** fsyncs `wal/`, so a new segment's name is durable before a record in it is acknowledged. */
  syncLogDir(): Promise<void>;
  openSegmentFile?(path: string): Promise<AppendFile>;
}

/**
 * A segment left by a crash and replayed at startup (`wal-recovery.ts`): its files are written but
 * not yet fsync'd, so it stays on disk, the durable copy of its messages, until checkpointed.
 */
export interface LeftoverSegment {
  path: string;
  /** The messages whose files the checkpoint must fsync before deleting the segment. */
  ids: string[];
}

/** Called once the record's files are written (or given up): until then its segment is not checkpointed. */
export type Release = () => void;

/** Files fsync'd at once by a checkpoint: enough to keep the disk busy, few enough to leave the thread pool to ingest. */
const CHECKPOINT_CONCURRENCY = 2;

interface Pending {
  chunks: Buffer[];
  bytes: number;
  /** Set for message records: the id the segment then stands for. */
  id: string | null;
  resolve(release: Release): void;
  reject(error: unknown): void;
}

/** `F` is null for a segment adopted from recovery: it is closed already. */
class Segment<F extends AppendFile | null = AppendFile | null> {
  readonly ids = new Set<string>();
  bytes = 0;
  firstRecordAt = 0;
  #holds = 0;
  #idle: (() => void) | null = null;

  constructor(
    readonly path: string,
    readonly file: F,
  ) {}

  hold(): Release {
    this.#holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds -= 1;
      if (this.#holds === 0) this.#idle?.();
    };
  }

  /** Resolves once every record's files are written. */
  idle(): Promise<void> {
    if (this.#holds === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle = resolve;
    });
  }
}

/**
 * The commit point of small messages (docs/storage.md): one framed record per message appended to
 * the current segment under `wal/`, made durable by a group commit. Every record queued while the
 * previous write + fdatasync ran goes out in the next single write + fdatasync, and all of them are
 * acknowledged together. The `.eml` and sidecar are written without fsync; a background checkpoint
 * fsyncs them once their segment is closed and only then deletes the segment. Until then a crash is
 * repaired from the log at startup (`wal-recovery.ts`).
 */
export class WriteAheadLog {
  readonly #options: WriteAheadLogOptions;
  readonly #openFile: (path: string) => Promise<AppendFile>;
  #current: Segment<AppendFile>;
  #nextNumber: number;
  /** Closed segments not yet checkpointed, oldest first. */
  readonly #closed: Segment[] = [];
  #queue: Pending[] = [];
  // Flags set and cleared inside the loops themselves (synchronously with their last check), so a
  // record queued right as a loop finishes always starts a new one.
  #draining = false;
  #drained: Promise<void> = Promise.resolve();
  #checkpointing = false;
  #checkpointed: Promise<void> = Promise.resolve();
  #rotateRequested = false;
  #closing = false;
  #fileSystemSyncFailed = false;
  /** A failed append leaves the segment's tail unknown: nothing more may follow it there. */
  #broken = false;
  readonly #timer: NodeJS.Timeout;

  private constructor(options: WriteAheadLogOptions, current: Segment<AppendFile>, nextNumber: number) {
    this.#options = options;
    this.#openFile = options.openSegmentFile ?? openAppendFile;
    this.#current = current;
    this.#nextNumber = nextNumber;
    this.#timer = setInterval(() => this.#rotateIfDue(), Math.max(10, options.segmentMs / 2));
    this.#timer.unref();
  }

  /**
   * Starts a new segment numbered `firstNumber`. `leftovers` (oldest first, numbered below it) are
   * checkpointed in the background, before any segment written from now on.
   */
  static async open(
    options: WriteAheadLogOptions,
    firstNumber: number,
    leftovers: readonly LeftoverSegment[] = [],
  ): Promise<WriteAheadLog> {
    const openFile = options.openSegmentFile ?? openAppendFile;
    const path = segmentPath(options.directory, firstNumber);
    const file = await openFile(path);
    await options.syncLogDir();
    const log = new WriteAheadLog(options, new Segment(path, file), firstNumber + 1);
    log.#adopt(leftovers);
    return log;
  }

  #adopt(leftovers: readonly LeftoverSegment[]): void {
    for (const leftover of leftovers) {
      const segment = new Segment(leftover.path, null);
      for (const id of leftover.ids) segment.ids.add(id);
      this.#closed.push(segment);
    }
    if (this.#closed.length > 0) void this.#checkpoint();
  }

  /** Durably logs a message; resolves once its record is fdatasync'd. Call the release when its files are written. */
  appendMessage(id: string, sidecarJson: string, raw: Buffer): Promise<Release> {
    return this.#enqueue(encodeMessageRecord(sidecarJson, raw), id);
  }

  /**
   * Makes a deletion durable before the files go, so replaying a segment that still holds the
   * message cannot bring it back. A no-op when no live segment mentions the id (the common case
   * for retention, which deletes the oldest messages).
   */
  async forget(id: string): Promise<void> {
    const segments = [...this.#closed, this.#current].filter((segment) => segment.ids.has(id));
    if (segments.length === 0) return;
    const release = await this.#enqueue(encodeTombstone(id), null);
    release();
    for (const segment of segments) segment.ids.delete(id);
  }

  /**
   * Stops accepting records, checkpoints everything and deletes every segment. Resolves whether that
   * succeeded (false: a checkpoint failed and segments are left for the next startup to replay).
   */
  async close(): Promise<boolean> {
    this.#closing = true;
    clearInterval(this.#timer);
    await this.#drained;
    const last = this.#current;
    this.#closed.push(last);
    await this.#checkpoint();
    return this.#closed.length === 0;
  }

  #enqueue(chunks: Buffer[], id: string | null): Promise<Release> {
    if (this.#closing) return Promise.reject(new Error("the write-ahead log is closed"));
    return new Promise((resolve, reject) => {
      const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      this.#queue.push({ chunks, bytes, id, resolve, reject });
      this.#startDrain();
    });
  }

  #startDrain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#drained = this.#drain().finally(() => {});
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0 || this.#rotateRequested) await this.#writeNextBatch();
    } finally {
      // Same tick as the loop's last check: no await between them, so nothing queued is stranded.
      this.#draining = false;
    }
  }

  async #writeNextBatch(): Promise<void> {
    if (this.#rotateRequested || this.#broken || this.#current.bytes >= this.#options.segmentBytes) {
      try {
        await this.#rotate();
      } catch (error) {
        for (const pending of this.#queue.splice(0)) pending.reject(error);
        return;
      }
    }
    const batch = this.#queue.splice(0);
    if (batch.length === 0) return;
    const segment = this.#current;
    try {
      await segment.file.append(batch.flatMap((pending) => pending.chunks));
      await segment.file.datasync();
    } catch (error) {
      this.#broken = true;
      await this.#disown(batch);
      for (const pending of batch) pending.reject(error);
      return;
    }
    if (segment.bytes === 0) segment.firstRecordAt = Date.now();
    for (const pending of batch) {
      segment.bytes += pending.bytes;
      if (pending.id !== null) segment.ids.add(pending.id);
      pending.resolve(segment.hold());
    }
  }

  /**
   * After a failed write or fdatasync some of the batch may still have reached the disk, and those
   * messages are about to be refused. Best effort: tombstones for them in a fresh segment, so a
   * replay cannot bring them back.
   */
  async #disown(batch: Pending[]): Promise<void> {
    const ids = batch.flatMap((pending) => (pending.id === null ? [] : [pending.id]));
    if (ids.length === 0) return;
    try {
      await this.#rotate();
      const segment = this.#current;
      const tombstones = ids.flatMap((id) => encodeTombstone(id));
      await segment.file.append(tombstones);
      await segment.file.datasync();
      segment.firstRecordAt = Date.now();
      segment.bytes += tombstones.reduce((sum, chunk) => sum + chunk.length, 0);
    } catch {
      // The disk keeps failing; the segment stays broken and the next batch tries a new one.
      this.#broken = true;
    }
  }

  async #rotate(): Promise<void> {
    this.#rotateRequested = false;
    const path = segmentPath(this.#options.directory, this.#nextNumber);
    const file = await this.#openFile(path);
    this.#nextNumber += 1;
    try {
      await this.#options.syncLogDir();
    } catch (error) {
      await file.close().catch(() => {});
      throw error;
    }
    const previous = this.#current;
    this.#current = new Segment(path, file);
    this.#broken = false;
    this.#closed.push(previous);
    void this.#checkpoint();
  }

  #rotateIfDue(): void {
    const current = this.#current;
    if (this.#closing || current.bytes === 0 || this.#draining) return;
    if (Date.now() - current.firstRecordAt < this.#options.segmentMs) return;
    this.#rotateRequested = true;
    this.#startDrain();
  }

  /** Checkpoints closed segments one at a time, oldest first; a second call joins the running one. */
  #checkpoint(): Promise<void> {
    if (!this.#checkpointing) {
      this.#checkpointing = true;
      this.#checkpointed = this.#checkpointAll();
    }
    return this.#checkpointed;
  }

  async #checkpointAll(): Promise<void> {
    try {
      while (this.#closed.length > 0) {
        // Every segment closed by now, in one go: after a crash recovery hands over a dozen, and one
        // file-system sync covers them all.
        const batch = [...this.#closed];
        await this.#checkpointSegments(batch);
        this.#closed.splice(0, batch.length);
      }
    } catch (error) {
      // The segments stay on disk and in the list: the next rotation (or startup recovery) retries.
      console.error("mailnest: checkpointing the write-ahead log failed:", error);
    } finally {
      // Same tick as the loop's last check (see #drain).
      this.#checkpointing = false;
    }
  }

  /** Oldest first. */
  async #checkpointSegments(segments: readonly Segment[]): Promise<void> {
    for (const segment of segments) {
      await segment.idle();
      await segment.file?.close().catch(() => {});
    }
    const paths = segments.flatMap((segment) => [...segment.ids].flatMap((id) => this.#options.filesOf(id)));
    if (paths.length > 0 && !(await this.#syncFileSystem())) {
      let next = 0;
      const worker = async () => {
        while (next < paths.length) await this.#options.syncFile(paths[next++]!);
      };
      await Promise.all(Array.from({ length: Math.min(CHECKPOINT_CONCURRENCY, paths.length) }, worker));
      await this.#options.syncMessagesDir();
    }
    // Oldest first: a tombstone is never deleted before the record it cancels.
    for (const segment of segments) await rm(segment.path, { force: true });
  }

  /** Whether one file-system sync made the segment's files durable (false: sync them one by one). */
  async #syncFileSystem(): Promise<boolean> {
    const sync = this.#options.syncFileSystem;
    if (sync === undefined || this.#fileSystemSyncFailed) return false;
    try {
      await sync();
      return true;
    } catch (error) {
      this.#fileSystemSyncFailed = true;
      console.error(
        "mailnest: syncing the file system failed; checkpoints fsync file by file from now on:",
        error,
      );
      return false;
    }
  }
}

export function segmentPath(directory: string, number: number): string {
  return join(directory, `${String(number).padStart(12, "0")}.wal`);
}

export const SEGMENT_NAME_PATTERN = /^(\d{12})\.wal$/;
