import { type FileHandle, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { type Adapter, Memory } from "lowdb";
import { DocumentWriter, JsonDocumentFile } from "./json-document-file.js";
import { SUMMARIES_SNAPSHOT, warmAhead } from "./read-ahead.js";
import { readAll } from "./read-all.js";
import { writeAll } from "./write-all.js";

/** Where the lowdb index documents live: one JSON file each under `<dataDir>/index/`, or memory. */
export interface IndexStorage {
  /** Names of the stored documents. */
  list(): Promise<string[]>;
  adapter<T>(name: string): Adapter<T>;
  remove(name: string): Promise<void>;
  /**
   * The frames of the summaries snapshot (`persisted-index.ts`), in order; none when there is no
   * snapshot. A frame's buffer may be reused for the next: decode it before asking for the next.
   * Throws while iterating when the snapshot is not one this storage wrote, or was cut short.
   */
  readSnapshot(): AsyncIterable<Buffer>;
  /**
   * Replaces the snapshot whole: a reader sees the old one, the new one or none, never a mix. Each
   * frame is taken from `frames` once the one before it is written.
   */
  writeSnapshot(frames: Iterable<Buffer>): Promise<void>;
}

/** Not `.json`, so `list()` never takes it for a document. */
const SNAPSHOT_FILE = basename(SUMMARIES_SNAPSHOT);
/**
 * The snapshot file starts with this, then holds its frames, each a 32-bit little-endian length and
 * that many bytes. A file without it (an older format, or not a snapshot) is not read.
 */
const SNAPSHOT_MAGIC = Buffer.from("MNSNAP\r\n", "latin1");
const FRAME_LENGTH_BYTES = 4;

export class SnapshotFileError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = "SnapshotFileError";
  }
}

/**
 * `prefetchSnapshot`: start reading the snapshot through now (`warmAhead`), so that the frames
 * `readSnapshot` reads later come from the page cache when the disk was cold. Nothing read ahead is
 * used as such: the snapshot is read again, a frame at a time, once this process holds the lock.
 */
export async function createFileIndexStorage(
  directory: string,
  options: { prefetchSnapshot?: boolean } = {},
): Promise<IndexStorage> {
  await mkdir(directory, { recursive: true });
  const snapshotPath = join(directory, SNAPSHOT_FILE);
  if (options.prefetchSnapshot) warmAhead(snapshotPath);
  const writer = new DocumentWriter();
  return {
    async list() {
      await mkdir(directory, { recursive: true });
      return (await readdir(directory))
        .filter((name) => name.endsWith(".json"))
        .map((name) => name.slice(0, -5));
    },
    adapter<T>(name: string) {
      return new JsonDocumentFile<T>(join(directory, `${name}.json`), writer);
    },
    async remove(name) {
      await rm(join(directory, `${name}.json`), { force: true });
    },
    readSnapshot() {
      return readSnapshotFrames(snapshotPath);
    },
    async writeSnapshot(frames) {
      // No fsync: a snapshot lost to a power cut only means the next start reads the shards.
      const temporary = `${snapshotPath}.tmp`;
      await writeSnapshotFrames(temporary, frames);
      await rename(temporary, snapshotPath);
    },
  };
}

/**
 * The frames of the snapshot at `path` through one buffer, grown to the largest frame: a start
 * touches that much fresh memory instead of the whole file's size. Each read takes a frame and the
 * next frame's length, so a frame costs one trip to the thread pool.
 */
async function* readSnapshotFrames(path: string): AsyncGenerator<Buffer> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(SNAPSHOT_MAGIC.length + FRAME_LENGTH_BYTES);
    const headBytes = await readAll(handle, head, Math.min(head.length, size), 0);
    if (
      headBytes < SNAPSHOT_MAGIC.length ||
      !head.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)
    ) {
      throw new SnapshotFileError(path, "not a snapshot of this version");
    }
    let position = SNAPSHOT_MAGIC.length;
    if (position === size) return;
    if (headBytes < head.length) throw new SnapshotFileError(path, `cut short at byte ${size}`);
    let length = head.readUInt32LE(SNAPSHOT_MAGIC.length);
    position += FRAME_LENGTH_BYTES;
    let buffer = Buffer.alloc(0);
    for (;;) {
      const end = position + length;
      if (end > size)
        throw new SnapshotFileError(
          path,
          `a frame of ${length} bytes at byte ${position} runs past the end (${size})`,
        );
      const wanted = end === size ? length : length + FRAME_LENGTH_BYTES;
      if (buffer.length < wanted) buffer = Buffer.allocUnsafe(Math.max(wanted, buffer.length * 2));
      if ((await readAll(handle, buffer, wanted, position)) < wanted) {
        throw new SnapshotFileError(path, `cut short while reading byte ${position}`);
      }
      yield buffer.subarray(0, length);
      if (end === size) return;
      const next = buffer.readUInt32LE(length);
      position = end + FRAME_LENGTH_BYTES;
      length = next;
    }
  } finally {
    await handle.close();
  }
}

/** One frame at a time: each is taken from `frames` (and so, for a snapshot, serialised) after the one before is written. */
async function writeSnapshotFrames(path: string, frames: Iterable<Buffer>): Promise<void> {
  const handle = await open(path, "w");
  try {
    await writeAll(handle, [SNAPSHOT_MAGIC]);
    for (const frame of frames) {
      const length = Buffer.allocUnsafe(FRAME_LENGTH_BYTES);
      length.writeUInt32LE(frame.length);
      await writeAll(handle, [length, frame]);
    }
  } finally {
    await handle.close();
  }
}

export function createMemoryIndexStorage(): IndexStorage {
  const documents = new Map<string, Memory<unknown>>();
  let snapshot: readonly Buffer[] = [];
  return {
    async list() {
      return [...documents.keys()];
    },
    adapter<T>(name: string) {
      let adapter = documents.get(name);
      if (!adapter) {
        adapter = new Memory<unknown>();
        documents.set(name, adapter);
      }
      return adapter as Memory<T>;
    },
    async remove(name) {
      documents.delete(name);
    },
    async *readSnapshot() {
      yield* snapshot;
    },
    async writeSnapshot(frames) {
      snapshot = [...frames];
    },
  };
}
