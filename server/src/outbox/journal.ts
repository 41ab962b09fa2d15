import { type FileHandle, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { syncDirectory } from "../store/directory-syncer.js";
import { writeAll, writeAllSync } from "../store/write-all.js";
import { BatchQueue, SerialRunner } from "./batch-queue.js";
import { decodeLines, encodeLine } from "./journal-line.js";
import type { RecordJournal } from "./shared-outboxes.js";

export interface JournalOptions<R> {
  /** The journal file, or null for memory only (records are applied, nothing is written). */
  path: string | null;
  /** Checks a record read back from disk; null skips it. */
  parse(value: unknown): R | null;
  /**
   * Applies a record to the owner's state: during replay, and live once the record is durable.
   * Called synchronously, in append order. Must not throw.
   */
  apply(record: R): void;
  /** The owner's whole state as records; replaying them from nothing rebuilds it. */
  snapshot(): R[];
  /**
   * The file is rewritten from a snapshot once it holds this many bytes more than the last snapshot
   * did, and at least as many more as that snapshot's own size.
   */
  compactAfterBytes?: number;
  /** Called when a torn tail is cut off at open; stderr by default. */
  warn?(message: string): void;
}

/** Compaction keeps the file within a few multiples of the live state, but never rewrites tiny files. */
const DEFAULT_COMPACT_AFTER_BYTES = 4 * 1024 * 1024;
/** Records appended with `durable: false` are fdatasync'd within this long. */
const LAZY_SYNC_MS = 1000;

interface Pending<R> {
  /** null: no record, only "fdatasync what is written" (the lazy-sync timer). */
  record: R | null;
  durable: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * An append-only journal of JSON records with group commit: every record appended while the
 * previous write + fdatasync ran goes out in the next single write + fdatasync, and each `append`
 * resolves only once its record is durable **and** applied to the owner's state. So the state the
 * owner sees is always exactly what a replay of the file would rebuild.
 *
 * A record appended with `durable: false` is written (to the page cache, so it survives a `kill -9`)
 * and applied, but its fdatasync waits for the next durable record or at most `LAZY_SYNC_MS`: for
 * records whose loss in a power cut is repaired some other way (a delivery the store's own log
 * re-derives at startup, an attempt that is simply made again), so that a burst of them does not
 * add an fdatasync per batch to the disk the SMTP acknowledgements wait on.
 *
 * The file is rewritten from a snapshot of the state (temp file, fsync, rename, fsync of the
 * directory) at open and whenever it has grown past both `compactAfterBytes` and the last
 * snapshot's size since the last rewrite, so it stays proportional to what was live then and each
 * append pays a constant share of the rewrites. A crash during a rewrite leaves either the old or
 * the new file, both complete. A torn last line (a crash mid-append) fails its checksum and is cut
 * off at open; nothing after it was acknowledged, since each acknowledgement waits for the
 * fdatasync of everything before it.
 */
export class Journal<R> implements RecordJournal<R> {
  readonly #options: JournalOptions<R>;
  readonly #compactAfter: number;
  #handle: FileHandle | null = null;
  readonly #batches = new BatchQueue<Pending<R>>((batch) => this.#writeBatch(batch));
  /** Bytes appended since the last snapshot. */
  #grown = 0;
  /**
   * The size of the last snapshot. The file is rewritten once it has grown by this much too, not
   * only by `compactAfterBytes`: a rewrite costs the live state's size (thousands of deliveries
   * pending behind a slow endpoint are megabytes), so it must wait for that many appended bytes
   * to cost each append a constant share. The file stays under twice its size at the last rewrite
   * plus the limit (after a backlog drains, larger than the live state until the next rewrite).
   */
  #snapshotBytes = 0;
  /** A failed append may have left a partial line: the next batch rewrites the file first. */
  #broken = false;
  #closed = false;
  /** Written but not yet fdatasync'd (lazy records). */
  #unsynced = false;
  #lazyTimer: NodeJS.Timeout | null = null;
  readonly #exclusive = new SerialRunner();

  private constructor(options: JournalOptions<R>) {
    this.#options = options;
    this.#compactAfter = options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES;
  }

  /** Replays the file into the owner's state (through `apply`), then rewrites it compacted. */
  static async open<R>(options: JournalOptions<R>): Promise<Journal<R>> {
    const journal = new Journal(options);
    if (options.path === null) return journal;
    const directory = dirname(options.path);
    await mkdirDurably(directory);
    await rm(tempPath(options.path), { force: true });
    const bytes = await readFile(options.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return Buffer.alloc(0);
      throw error;
    });
    const { records, validLength } = decodeLines(bytes);
    for (const value of records) {
      const record = options.parse(value);
      if (record !== null) options.apply(record);
    }
    if (validLength < bytes.length) {
      (options.warn ?? console.error)(
        `mailnest: ${basename(options.path)}: dropped ${bytes.length - validLength} bytes of a torn or damaged tail after ${records.length} records`,
      );
    }
    await journal.#rewrite();
    return journal;
  }

  /** Resolves once the record is durable and applied; rejects when the disk refused it (nothing applied). */
  append(record: R, options: { durable?: boolean } = {}): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the journal is closed"));
    return this.#enqueue(record, options.durable ?? true);
  }

  #enqueue(record: R | null, durable: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#batches.push({ record, durable, resolve, reject });
    });
  }

  /**
   * One process owns the file (the data dir's lock), so only this process's own work can
   * interleave: one at a time, in call order.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.#exclusive.run(work);
  }

  /** Waits for what was appended, then closes the file. Further appends reject. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#lazyTimer) clearTimeout(this.#lazyTimer);
    if (this.#unsynced) await this.#enqueue(null, true).catch(() => {});
    await this.#batches.drained;
    await this.#handle?.close();
    this.#handle = null;
  }

  async #writeBatch(batch: Pending<R>[]): Promise<void> {
    if (this.#options.path !== null) {
      try {
        if (this.#broken) await this.#rewrite();
        const lines = batch.flatMap((pending) =>
          pending.record === null ? [] : [encodeLine(pending.record)],
        );
        const bytes = lines.length === 1 ? lines[0]! : Buffer.concat(lines);
        // Synchronous: a batch is a few KB into the page cache, a few microseconds, where handing it
        // to the thread pool cost the event loop several times that in wake-ups (a webhook's queueing
        // about 30 µs per message at 16 connections). The fdatasync, which takes a disk round trip,
        // stays in the pool. Batches run one at a time, so nothing else writes the file meanwhile.
        if (bytes.length > 0) writeAllSync(this.#handle!.fd, bytes, null);
        this.#grown += bytes.length;
        if (batch.some((pending) => pending.durable)) {
          if (this.#unsynced || bytes.length > 0) await this.#handle!.datasync();
          this.#unsynced = false;
        } else if (bytes.length > 0) {
          this.#unsynced = true;
          this.#lazyTimer ??= setTimeout(() => {
            this.#lazyTimer = null;
            if (this.#unsynced && !this.#closed) this.#enqueue(null, true).catch(() => {});
          }, LAZY_SYNC_MS).unref();
        }
      } catch (error) {
        this.#broken = true;
        for (const pending of batch) pending.reject(error);
        return;
      }
    }
    for (const pending of batch) if (pending.record !== null) this.#options.apply(pending.record);
    for (const pending of batch) pending.resolve();
    if (this.#grown > Math.max(this.#compactAfter, this.#snapshotBytes)) {
      // A failed rewrite leaves the old file, which is complete; the next batch tries again.
      await this.#rewrite().catch((error: unknown) => {
        this.#broken = true;
        console.error("mailnest: compacting a journal failed:", error);
      });
    }
  }

  /** Replaces the file with a snapshot of the state (which is exactly what has been applied). */
  async #rewrite(): Promise<void> {
    const path = this.#options.path!;
    const bytes = Buffer.concat(this.#options.snapshot().map((record) => encodeLine(record)));
    const temp = tempPath(path);
    const handle = await open(temp, "w");
    try {
      await writeAll(handle, [bytes]);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await syncDirectory(dirname(path));
    await this.#handle?.close().catch(() => {});
    this.#handle = await open(path, "a");
    this.#grown = 0;
    this.#snapshotBytes = bytes.length;
    this.#broken = false;
    this.#unsynced = false;
  }
}

function tempPath(path: string): string {
  return `${path}.tmp`;
}

/** Creates the folder if needed and makes its name durable in its parent. */
async function mkdirDurably(directory: string): Promise<void> {
  const created = await mkdir(directory, { recursive: true });
  if (created !== undefined) await syncDirectory(dirname(directory));
}
