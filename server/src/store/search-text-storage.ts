import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  openSync,
  read,
  readSync,
  renameSync,
  rmSync,
} from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeAllSync } from "./write-all.js";

/**
 * Where the search-text records live: one file (`<data-dir>/search/text.bin`) or, for `--in-memory`,
 * one growing buffer. Writes are synchronous (no fsync: the file is derived data, and a start adds
 * the records of messages it lacks), so no append can interleave with a compaction. The file's
 * appends made in one turn of the event loop leave in one write at its end (a message's own write
 * cost about 40 µs of the event loop on a busy VM); every read, truncation and swap writes them first.
 */
export interface SearchTextStorage {
  /** Bytes stored. */
  readonly size: number;
  /** Why a write made in the background failed (every later call throws it), or null. */
  readonly failure: Error | null;
  /** Bytes [position, position + length): read into `scratch` when it is large enough, else a new buffer. */
  read(position: number, length: number, scratch: Buffer): Promise<Buffer>;
  readSync(position: number, length: number): Buffer;
  append(bytes: Buffer): void;
  /** Drops everything from `size` on (a torn tail). */
  truncate(size: number): void;
  /** A new content written beside the current one; `commit` swaps it in at once. */
  beginReplace(): SearchTextWriter;
  close(): void;
}

export interface SearchTextWriter {
  append(bytes: Buffer): void;
  commit(): void;
  abort(): void;
}

const FILE_NAME = "text.bin";

export async function createFileSearchTextStorage(directory: string): Promise<SearchTextStorage> {
  await mkdir(directory, { recursive: true });
  const path = join(directory, FILE_NAME);
  const temporary = `${path}.tmp`;
  // A replacement a crash interrupted.
  rmSync(temporary, { force: true });
  const openFile = () => openSync(path, constants.O_RDWR | constants.O_CREAT);
  let fd: number | null = openFile();
  /** Bytes in the file; `pending` follow them. */
  let written = fstatSync(fd).size;
  /**
   * Appends not yet written, copied into one buffer kept for the file's life: a list joined by
   * `Buffer.concat` at each flush was a new native buffer per turn of the event loop during a burst
   * (see `RecordStaging` for why that matters).
   */
  let pending: Buffer | null = null;
  let pendingBytes = 0;
  let flushScheduled = false;
  let failure: Error | null = null;
  const handle = () => {
    if (failure !== null) throw failure;
    if (fd === null) throw new Error(`The search text file ${path} is closed`);
    return fd;
  };
  const flush = () => {
    if (pendingBytes === 0) return;
    const bytes = pending!.subarray(0, pendingBytes);
    pendingBytes = 0;
    writeAllSync(handle(), bytes, written);
    written += bytes.length;
  };
  /**
   * A write nobody awaits (at the end of a turn, at close) keeps its error as `failure`: the search
   * text asks for it before it answers from the file, and the next start adds what is missing.
   */
  const flushKeepingFailure = () => {
    try {
      flush();
    } catch (error) {
      failure ??= error instanceof Error ? error : new Error(String(error));
    }
  };
  const flushLater = () => {
    flushScheduled = false;
    if (fd !== null && failure === null) flushKeepingFailure();
  };

  return {
    get size() {
      return written + pendingBytes;
    },
    get failure() {
      return failure;
    },
    read(position, length, scratch) {
      flush();
      const into = length <= scratch.length ? scratch : Buffer.allocUnsafe(length);
      return new Promise((resolve, reject) => {
        read(handle(), into, 0, length, position, (error, bytesRead) => {
          if (error) reject(error);
          else if (bytesRead !== length)
            reject(new Error(`Read ${bytesRead} of ${length} bytes at ${position} of ${path}`));
          else resolve(into.subarray(0, length));
        });
      });
    },
    readSync(position, length) {
      flush();
      const into = Buffer.allocUnsafe(length);
      const bytesRead = readSync(handle(), into, 0, length, position);
      if (bytesRead !== length)
        throw new Error(`Read ${bytesRead} of ${length} bytes at ${position} of ${path}`);
      return into;
    },
    append(bytes) {
      handle();
      if (pendingBytes + bytes.length > MAX_PENDING_BYTES) flush();
      if (bytes.length >= MAX_PENDING_BYTES) {
        writeAllSync(handle(), bytes, written);
        written += bytes.length;
        return;
      }
      pending ??= Buffer.allocUnsafeSlow(MAX_PENDING_BYTES);
      bytes.copy(pending, pendingBytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= MAX_PENDING_BYTES) flush();
      else if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushLater);
      }
    },
    truncate(to) {
      flush();
      ftruncateSync(handle(), to);
      written = to;
    },
    beginReplace() {
      flush();
      const out = openSync(temporary, "w");
      let copied = 0;
      let open = true;
      const finish = () => {
        if (!open) return false;
        open = false;
        closeSync(out);
        return true;
      };
      return {
        append(bytes) {
          writeAllSync(out, bytes, copied);
          copied += bytes.length;
        },
        commit() {
          // The caller copies the records appended since it began (reading them writes them out)
          // and commits in the same synchronous step; one still pending would be lost by the swap.
          if (pendingBytes > 0) throw new Error("search text appended between the last read and the swap");
          if (!finish()) return;
          renameSync(temporary, path);
          closeSync(handle());
          fd = openFile();
          written = copied;
        },
        abort() {
          if (finish()) rmSync(temporary, { force: true });
        },
      };
    },
    close() {
      if (fd === null) return;
      // The store's close goes on whatever this write does.
      try {
        flushKeepingFailure();
      } finally {
        closeSync(fd);
        fd = null;
      }
    },
  };
}

/** Appends held back past this many bytes are written at once. */
const MAX_PENDING_BYTES = 256 * 1024;

/** `--in-memory`: the same records in one buffer that doubles as it fills. */
export function createMemorySearchTextStorage(): SearchTextStorage {
  let content = new GrowingBuffer();
  return {
    get size() {
      return content.size;
    },
    failure: null,
    // A view, not a copy: appends never change bytes already written, and a replacement is a new
    // buffer, so a view taken before stays what it was.
    async read(position, length) {
      return content.view(position, length);
    },
    readSync(position, length) {
      return content.view(position, length);
    },
    append(bytes) {
      content.append(bytes);
    },
    truncate(to) {
      content.truncate(to);
    },
    beginReplace() {
      let next: GrowingBuffer | null = new GrowingBuffer();
      return {
        append(bytes) {
          next?.append(bytes);
        },
        commit() {
          if (next !== null) content = next;
          next = null;
        },
        abort() {
          next = null;
        },
      };
    },
    close() {},
  };
}

class GrowingBuffer {
  #bytes = Buffer.alloc(0);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  view(position: number, length: number): Buffer {
    if (position + length > this.#size) throw new RangeError(`${position}+${length} is past ${this.#size}`);
    return this.#bytes.subarray(position, position + length);
  }

  append(bytes: Buffer): void {
    if (this.#size + bytes.length > this.#bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(64 * 1024, 2 * (this.#size + bytes.length)));
      this.#bytes.copy(grown, 0, 0, this.#size);
      this.#bytes = grown;
    }
    bytes.copy(this.#bytes, this.#size);
    this.#size += bytes.length;
  }

  truncate(size: number): void {
    this.#size = Math.min(size, this.#size);
  }
}
