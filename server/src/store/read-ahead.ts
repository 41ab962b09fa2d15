import { type FileHandle, open } from "node:fs/promises";
import { join, resolve } from "node:path";
import { readAll } from "./read-all.js";

/**
 * Whole-file reads started before anyone asks, for the file a restart of the embedded store reads
 * first and whole: the segments' locator file. (The summaries snapshot, 33 MB at 50,000 messages, is
 * read a frame at a time: it is only read through ahead, see `warmAhead`.)
 *
 * Why: the CLI starts them as soon as it knows the data directory, before it loads the rest of the
 * server (about 300 ms of compiling and evaluating code on one core), so the reads run on the thread
 * pool meanwhile instead of after it. They are plain reads of files that are never written in place
 * (each is replaced by a rename), so starting one before the data directory's lock is harmless: the
 * store checks what it reads exactly as it would have, and a file replaced in between is one its own
 * checks reject (the snapshot's id, the locators' checksum and lengths).
 *
 * A read is taken at most once; `dropDataDirReadAheads` lets go of any nobody took (another store
 * kind, a start that failed), so their buffers are not held for the life of the process.
 */
const started = new Map<string, Promise<Buffer | null>>();

/** The files `readAheadDataDir` starts, relative to the data directory. */
export const SUMMARIES_SNAPSHOT = join("index", "summaries.snapshot");
export const SEGMENT_LOCATORS = join("segments", "locators.bin");
const DATA_DIR_FILES = [SEGMENT_LOCATORS];

/** Starts reading the files a start of the store in `dataDir` reads first. */
export function readAheadDataDir(dataDir: string): void {
  warmAhead(join(dataDir, SUMMARIES_SNAPSHOT));
  for (const file of DATA_DIR_FILES) readAhead(join(dataDir, file));
}

/** Bytes per read of `warmAhead`: one buffer of this size is all the memory it takes. */
const WARM_READ_BYTES = 1024 * 1024;

/**
 * Reads `path` through once, start to end, through one small buffer, and keeps nothing: for a file
 * the store reads later a piece at a time (the summaries snapshot), so that its reads come from the
 * page cache when the disk was cold. Reading it whole into memory ahead instead cost a fresh buffer
 * of the file's size, whose page faults took longer than the read itself on this project's VM.
 * Failures are ignored: the store's own read reports them.
 */
export function warmAhead(path: string): void {
  const key = resolve(path);
  // The CLI's read-ahead and the store's prefetch both ask: one pass is enough.
  if (warming.has(key)) return;
  warming.add(key);
  void (async () => {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.allocUnsafe(WARM_READ_BYTES);
      for (let position = 0; ; position += WARM_READ_BYTES) {
        const { bytesRead } = await handle.read(buffer, 0, WARM_READ_BYTES, position);
        if (bytesRead < WARM_READ_BYTES) return;
      }
    } finally {
      await handle.close();
    }
  })()
    .catch(() => {})
    .finally(() => warming.delete(key));
}

/** Files `warmAhead` is reading through now. */
const warming = new Set<string>();

/** Lets go of the reads `readAheadDataDir` started that the store did not take. */
export function dropDataDirReadAheads(dataDir: string): void {
  for (const file of DATA_DIR_FILES) dropReadAhead(join(dataDir, file));
}

/** Starts reading `path` whole, unless a read of it is already waiting to be taken. */
export function readAhead(path: string): void {
  const key = resolve(path);
  if (started.has(key)) return;
  const read = readWhole(path);
  // Nobody may ever take it (a start that fails to lock): its failure must not be unhandled.
  read.catch(() => {});
  started.set(key, read);
}

/** The file's bytes, null when it does not exist: from a read started earlier if one is waiting. */
export function readWholeFile(path: string): Promise<Buffer | null> {
  const key = resolve(path);
  const read = started.get(key);
  if (read === undefined) return readWhole(path);
  started.delete(key);
  return read;
}

/** The paths of reads started and not yet taken or dropped (for tests). */
export function waitingReadAheads(): string[] {
  return [...started.keys()];
}

/** Lets go of the read of `path` if nobody took it. */
export function dropReadAhead(path: string): void {
  started.delete(resolve(path));
}

/**
 * The whole file in one read request where the system allows (`readFile` reads 512 KiB at a time,
 * and each next piece waits for the event loop, which a starting store keeps busy).
 */
async function readWhole(path: string): Promise<Buffer | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafe(size);
    const filled = await readAll(handle, buffer, size, 0);
    return filled === size ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
