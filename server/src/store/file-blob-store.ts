import { createReadStream, readFileSync, writeFileSync } from "node:fs";
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { BlobScan, BlobStore, IdSet, RawSink } from "./blob-store.js";
import { BufferedSink } from "./buffered-sink.js";
import { leaveCleanShutdownMarker, takeCleanShutdownMarker } from "./clean-shutdown.js";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.js";
import { DirectorySyncer } from "./directory-syncer.js";
import { fileSystemSync } from "./file-system-sync.js";
import { MessageSegments, type MessageSegmentsOptions } from "./message-segments.js";
import { MESSAGE_ID_PATTERN, type RawSource } from "./model.js";
import { parseSidecar, type Sidecar, serializeSidecar } from "./sidecar.js";
import { recoverWal } from "./wal-recovery.js";
import { type Release, WriteAheadLog, type WriteAheadLogOptions } from "./write-ahead-log.js";
import { writeAll } from "./write-all.js";

/** Large messages are written to their temp file in 64 KiB pieces. */
const WRITE_BUFFER_BYTES = 64 * 1024;

export interface FileBlobStoreOptions {
  /**
   * Messages up to this size are received in memory, parsed from the buffer and committed through
   * the write-ahead log; larger ones stream to a temp file that is fsync'd and renamed into place.
   * @default 1 MiB
   */
  bufferLimit?: number;
  /** @default 16 MiB */
  walSegmentBytes?: number;
  /** @default 2000 ms */
  walSegmentMs?: number;
  /** fsyncs one file by path (checkpoint and recovery); injectable so tests can observe it. */
  syncFile?: (path: string) => Promise<void>;
  openSegmentFile?: WriteAheadLogOptions["openSegmentFile"];
  /**
   * Messages up to the buffer limit live in `segments/` (kept, compacted; no file per message).
   * false: the previous layout, `messages/<id>.eml` + sidecar checkpointed from the log.
   * @default true
   */
  messageSegments?: boolean;
  /** @default 64 MiB */
  messageSegmentBytes?: number;
  openAppendFile?: MessageSegmentsOptions["openAppendFile"];
  deferredTombstoneMs?: MessageSegmentsOptions["deferredTombstoneMs"];
  /** Work a start can put off (writing the locator file after a scan) waits for this. */
  backgroundWorkAfter?: Promise<void>;
}

const DEFAULT_BUFFER_LIMIT = 1024 * 1024;
/**
 * Files up to this size are written (into the page cache, no fsync) with one blocking call: about
 * 12 µs for a few KB here, against about 65 µs for the three thread-pool round trips of an async
 * open/write/close. Larger ones go through the pool so the event loop is not held. Tried again for
 * issue 18 (both files through the pool, the sidecar beside the fdatasync): on the shared 2-core
 * bench machine, under load, 2 KB ingest fell to about half its share of the ceiling and the CPU per
 * message rose by a third, since every round trip waits for a pool thread to be scheduled.
 */
const SYNC_WRITE_LIMIT = 64 * 1024;
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const DEFAULT_SEGMENT_MS = 2000;
const DEFAULT_MESSAGE_SEGMENT_BYTES = 64 * 1024 * 1024;

/**
 * Layout under the data directory:
 *
 * - `segments/<n>.seg`: messages up to the buffer limit, as `[sidecar JSON | raw bytes]` records
 *   (`message-segments.ts`); a record's group-committed append is the commit point, and the
 *   segments are their home for good (compacted, never checkpointed into files).
 * - `messages/<id>.eml`: larger messages (and every message of a store written before segments), the
 *   raw bytes exactly as received; its presence is what makes such a message exist.
 * - `messages/<id>.json`: the sidecar (envelope, sequence, inboxes, parsed view) of such a message.
 * - `wal/<n>.wal`: write-ahead-log segments of the previous layout, the commit point of small
 *   messages until their files are checkpointed (fsync'd); replayed at startup. With segments on,
 *   only a store written before them has any.
 * - `tmp/`: large messages being received; anything here at startup is from a crash and is removed.
 */
export async function createFileBlobStore(
  dataDir: string,
  options: FileBlobStoreOptions = {},
): Promise<BlobStore> {
  await mkdir(dataDir, { recursive: true });
  // Before anything is read or written: a second instance must not replay or write this log.
  const lock = await lockDataDir(dataDir);
  try {
    return await openLocked(dataDir, options, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function openLocked(
  dataDir: string,
  options: FileBlobStoreOptions,
  lock: DataDirLock,
): Promise<BlobStore> {
  const wasClean = await takeCleanShutdownMarker(dataDir);
  const messagesDir = join(dataDir, "messages");
  const tmpDir = join(dataDir, "tmp");
  const walDir = join(dataDir, "wal");
  const segmentsDir = join(dataDir, "segments");
  await Promise.all([messagesDir, tmpDir, walDir, segmentsDir].map((dir) => mkdir(dir, { recursive: true })));
  const messagesDirSync = await DirectorySyncer.open(messagesDir);
  const walDirSync = await DirectorySyncer.open(walDir);
  const bufferLimit = options.bufferLimit ?? DEFAULT_BUFFER_LIMIT;
  const syncFile = options.syncFile ?? syncFileAt;

  const rawPath = (id: string) => join(messagesDir, `${id}.eml`);
  const sidecarPath = (id: string) => join(messagesDir, `${id}.json`);
  // Unique within this process; tmp/ is emptied at startup, so no name can collide with a leftover.
  const tmpPrefix = join(tmpDir, `${Date.now().toString(36)}-`);
  let tmpCounter = 0;
  const tmpPath = (suffix: string) => `${tmpPrefix}${(tmpCounter++).toString(36)}${suffix}`;

  const directories = {
    syncFile,
    syncMessagesDir: () => messagesDirSync.sync(),
    syncLogDir: () => walDirSync.sync(),
  };
  const { nextSegment, segments } = await recoverWal({ directory: walDir, rawPath, sidecarPath });
  const walOptions: WriteAheadLogOptions = {
    directory: walDir,
    segmentBytes: options.walSegmentBytes ?? DEFAULT_SEGMENT_BYTES,
    segmentMs: options.walSegmentMs ?? DEFAULT_SEGMENT_MS,
    filesOf: (id) => [rawPath(id), sidecarPath(id)],
    ...directories,
  };
  if (options.openSegmentFile) walOptions.openSegmentFile = options.openSegmentFile;
  // One syncfs per checkpoint instead of an fsync per file, unless a test observes the files synced.
  const wholeSync = options.syncFile ? null : fileSystemSync(messagesDir);
  if (wholeSync) walOptions.syncFileSystem = () => wholeSync.sync();
  // The replayed segments are checkpointed in the background, after the store is ready.
  let wal: WriteAheadLog;
  let store: MessageSegments | null = null;
  const segmentsDirSync = await DirectorySyncer.open(segmentsDir);
  try {
    wal = await WriteAheadLog.open(walOptions, nextSegment, segments);
    if (options.messageSegments !== false) {
      const segmentOptions: MessageSegmentsOptions = {
        directory: segmentsDir,
        segmentBytes: options.messageSegmentBytes ?? DEFAULT_MESSAGE_SEGMENT_BYTES,
        syncDir: () => segmentsDirSync.sync(),
      };
      if (options.openAppendFile) segmentOptions.openAppendFile = options.openAppendFile;
      if (options.deferredTombstoneMs !== undefined)
        segmentOptions.deferredTombstoneMs = options.deferredTombstoneMs;
      if (options.backgroundWorkAfter) segmentOptions.backgroundWorkAfter = options.backgroundWorkAfter;
      store = await MessageSegments.open(segmentOptions).catch(async (error: unknown) => {
        await wal.close().catch(() => {});
        throw error;
      });
    }
  } catch (error) {
    wholeSync?.close();
    await segmentsDirSync.close().catch(() => {});
    throw error;
  }
  const segmented = store;

  /** The large-message path: temp file fsync'd, sidecar fsync'd, rename (the commit point), directory fsync. */
  async function commitFile(sink: FileSink, id: string, sidecar: Sidecar): Promise<void> {
    // The sidecar goes straight to its final name: without its .eml it is garbage that the next
    // startup removes.
    try {
      await Promise.all([sink.sync(), writeDurably(sidecarPath(id), serializeSidecar(sidecar))]);
      await rename(sink.path, rawPath(id));
      await messagesDirSync.sync();
    } catch (error) {
      await rm(rawPath(id), { force: true }).catch(() => {});
      await rm(sidecarPath(id), { force: true }).catch(() => {});
      throw error;
    }
  }

  /**
   * The small-message path: the log record is the commit point. The sidecar is written first (no
   * fsync; without its .eml it is garbage that startup removes), the `.eml` only after the record is
   * durable, because its presence is what makes a message exist and a torn `.eml` without a record
   * could not be repaired. Both are in the page cache when this resolves, so reads right after the
   * 250 see them.
   */
  async function commitLogged(bytes: Buffer, id: string, sidecar: Sidecar): Promise<void> {
    const json = serializeSidecar(sidecar);
    let release: Release | null = null;
    try {
      await writeSmallFile(sidecarPath(id), json);
      release = await wal.appendMessage(id, json, bytes);
      await writeSmallFile(rawPath(id), bytes);
    } catch (error) {
      // The record may be durable already: a tombstone keeps a replay from bringing back a message
      // that was answered with a failure.
      if (release !== null) await wal.forget(id).catch(() => {});
      await rm(rawPath(id), { force: true }).catch(() => {});
      await rm(sidecarPath(id), { force: true }).catch(() => {});
      throw error;
    } finally {
      release?.();
    }
  }

  return {
    async createSink() {
      return new BufferedSink(bufferLimit, () => FileSink.create(tmpPath(".eml")));
    },

    async commit(sink, id, sidecar, options = {}) {
      if (!(sink instanceof BufferedSink)) throw new TypeError("Not a sink of this store");
      if (sink.file instanceof FileSink) return commitFile(sink.file, id, sidecar);
      if (segmented) {
        return segmented.appendMessage(id, serializeSidecar(sidecar), sink.bytes(), {
          syncOnLoop: options.alone === true,
        });
      }
      return commitLogged(sink.bytes(), id, sidecar);
    },

    async readRaw(id) {
      const bytes = segmented?.readRaw(id);
      if (bytes) return Readable.from([bytes]);
      let handle: FileHandle;
      try {
        handle = await open(rawPath(id), "r");
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
      return handle.createReadStream();
    },

    async rawSize(id) {
      const size = segmented?.rawSize(id);
      if (size != null) return size;
      try {
        return (await stat(rawPath(id))).size;
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    async readSidecar(id) {
      if (segmented?.has(id)) {
        try {
          return parseSidecar(segmented.readSidecar(id)?.toString("utf8") ?? "", id);
        } catch {
          return null;
        }
      }
      try {
        return parseSidecar(await readFile(sidecarPath(id), "utf8"), id);
      } catch {
        return null;
      }
    },

    readSidecarSync(id) {
      try {
        if (segmented?.has(id)) return parseSidecar(segmented.readSidecar(id)?.toString("utf8") ?? "", id);
        return parseSidecar(readFileSync(sidecarPath(id), "utf8"), id);
      } catch {
        return null;
      }
    },

    async hasSidecar(id) {
      if (segmented?.has(id)) return true;
      try {
        await stat(sidecarPath(id));
        return true;
      } catch {
        return false;
      }
    },

    async writeSidecar(sidecar: Sidecar) {
      if (segmented?.has(sidecar.id)) return segmented.replaceSidecar(sidecar.id, serializeSidecar(sidecar));
      const temporary = tmpPath(".json");
      try {
        await writeDurably(temporary, serializeSidecar(sidecar));
        await rename(temporary, sidecarPath(sidecar.id));
        await messagesDirSync.sync();
      } finally {
        await rm(temporary, { force: true }).catch(() => {});
      }
    },

    async remove(id, options) {
      // A message lives in one place: a segment record, or its two files (larger messages, and those
      // of a store written before segments). A sandbox at its --max-messages removes one message per
      // message received, and two `rm` of files that were never there (each an lstat and an unlink
      // through the thread pool, plus rm's own bookkeeping) were about 6 % of the event loop there.
      if (segmented?.has(id)) return segmented.remove(id, options);
      await wal.forget(id);
      // The .eml first: its absence is what makes the message gone; a sidecar left by a crash in
      // between is removed at the next start.
      await unlinkIfPresent(rawPath(id));
      await unlinkIfPresent(sidecarPath(id));
    },

    async scan(): Promise<BlobScan> {
      for (const name of await readdir(tmpDir)) {
        await rm(join(tmpDir, name), { force: true, recursive: true });
      }
      const files = new Set<string>();
      const sidecarFiles = new Set<string>();
      for (const name of await readdir(messagesDir)) {
        const [id, extension] = name.split(".", 2) as [string, string | undefined];
        if (!MESSAGE_ID_PATTERN.test(id)) continue;
        if (extension === "eml") files.add(id);
        else if (extension === "json") sidecarFiles.add(id);
      }
      // A segment record holds both; an id is in segments or has files, never both for long (a
      // message is in one place), and the view below counts it once either way.
      const segments = segmented;
      const raw: IdSet = {
        has: (id) => files.has(id) || (segments?.has(id) ?? false),
        *[Symbol.iterator]() {
          yield* files;
          for (const id of segments?.ids ?? []) if (!files.has(id)) yield id;
        },
      };
      return {
        raw,
        orphanSidecars: new Set([...sidecarFiles].filter((id) => !raw.has(id))),
      } satisfies BlobScan;
    },

    cleanShutdown: wasClean && segments.length === 0,

    /**
     * Called after the index's last flush (`local-message-store.ts`). A clean close syncs the file
     * system once more, which makes those index documents durable too (they live in `index/` beside
     * `messages/`), and then leaves the clean-shutdown marker. Without a file-system sync there is no
     * marker, and the next start lists the files as before.
     */
    async close(options) {
      const checkpointed = await wal.close();
      await segmented?.close();
      await Promise.all([messagesDirSync.close(), walDirSync.close(), segmentsDirSync.close()]);
      // An index that is behind the files (a write failed: a full disk) must not be vouched for:
      // the next start would trust it, and hide mail that was acknowledged.
      if (checkpointed && wholeSync && options?.indexDurable !== false) {
        try {
          await wholeSync.sync();
          await leaveCleanShutdownMarker(dataDir);
        } catch {
          // No marker: the next start reconciles the index with the files, as after a crash.
        }
      }
      wholeSync?.close();
      await lock.release();
    },
  };
}

class FileSink implements RawSink {
  readonly path: string;
  #handle: FileHandle | null;
  #buffered: Buffer[] = [];
  #bufferedBytes = 0;
  #synced: Promise<void> | null = null;

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  static async create(path: string): Promise<FileSink> {
    return new FileSink(path, await open(path, "wx"));
  }

  async write(chunk: Buffer): Promise<void> {
    this.#buffered.push(chunk);
    this.#bufferedBytes += chunk.length;
    if (this.#bufferedBytes >= WRITE_BUFFER_BYTES) await this.#flush();
  }

  async end(): Promise<void> {
    await this.#flush();
  }

  sync(): Promise<void> {
    this.#synced ??= this.#syncAndClose();
    return this.#synced;
  }

  async #syncAndClose(): Promise<void> {
    const handle = this.#open();
    this.#handle = null;
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  read(): Readable {
    return createReadStream(this.path);
  }

  source(): RawSource {
    return { kind: "file", path: this.path };
  }

  async discard(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    this.#buffered = [];
    await this.#synced?.catch(() => {});
    await handle?.close().catch(() => {});
    await rm(this.path, { force: true }).catch(() => {});
  }

  async #flush(): Promise<void> {
    if (this.#buffered.length === 0) return;
    const chunks = this.#buffered;
    this.#buffered = [];
    this.#bufferedBytes = 0;
    await writeAll(this.#open(), chunks);
  }

  #open(): FileHandle {
    if (this.#handle === null) throw new Error(`Sink ${this.path} is already closed`);
    return this.#handle;
  }
}

async function writeDurably(path: string, content: string): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
}

/**
 * fsync by path, for the checkpoint and recovery. Everything goes through the thread pool, open
 * included: this is background work, and a blocking open of a page-cached file under load costs the
 * event loop 0.1 ms. A file deleted meanwhile (the message was deleted) has nothing left to make
 * durable.
 */
async function syncFileAt(path: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeSmallFile(path: string, content: string | Buffer): Promise<void> {
  const bytes = typeof content === "string" ? Buffer.byteLength(content) : content.length;
  if (bytes <= SYNC_WRITE_LIMIT) writeFileSync(path, content);
  else await writeFile(path, content);
}
