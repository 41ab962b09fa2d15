import { type FileHandle, mkdir, open, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Adapter, Memory } from "lowdb";
import { DataFile } from "lowdb/node";

/** Where the lowdb index documents live: one JSON file each under `<dataDir>/index/`, or memory. */
export interface IndexStorage {
  /** Names of the stored documents. */
  list(): Promise<string[]>;
  adapter<T>(name: string): Adapter<T>;
  remove(name: string): Promise<void>;
  /** The summaries snapshot a clean close left (`persisted-index.ts`), or null when there is none. */
  readSnapshot(): Promise<Buffer | null>;
  /** Replaces the snapshot whole: a reader sees the old one, the new one or none, never a mix. */
  writeSnapshot(data: Buffer): Promise<void>;
}

/** Not `.json`, so `list()` never takes it for a document. */
const SNAPSHOT_FILE = "summaries.snapshot";

/**
 * `prefetchSnapshot`: start reading the snapshot now, for the first `readSnapshot` to take. The store
 * opens its segments meanwhile, and a restart then waits for the read (tens of MB at 50,000 messages,
 * about 100 ms here) only where it is not already over. Read before the data directory's lock is
 * taken, which is harmless: the bytes are used only once this process holds the lock, and a
 * snapshot replaced in between carries another id than the one `state.json` names, so it is ignored.
 */
export async function createFileIndexStorage(
  directory: string,
  options: { prefetchSnapshot?: boolean } = {},
): Promise<IndexStorage> {
  await mkdir(directory, { recursive: true });
  const snapshotPath = join(directory, SNAPSHOT_FILE);
  let prefetched = options.prefetchSnapshot ? readIfPresent(snapshotPath) : null;
  // Nobody may ever ask (a start that fails to lock): its failure must not be unhandled.
  prefetched?.catch(() => {});
  return {
    async list() {
      await mkdir(directory, { recursive: true });
      return (await readdir(directory))
        .filter((name) => name.endsWith(".json"))
        .map((name) => name.slice(0, -5));
    },
    adapter<T>(name: string) {
      // Compact JSON: the index is for the machine; lowdb's JSONFile would pretty-print it.
      // lowdb writes through steno (temp file + rename), so a crash never leaves a torn document.
      return new DataFile<T>(join(directory, `${name}.json`), {
        parse: (text) => JSON.parse(text) as T,
        stringify: (data) => JSON.stringify(data),
      });
    },
    async remove(name) {
      await rm(join(directory, `${name}.json`), { force: true });
    },
    readSnapshot() {
      const read = prefetched ?? readIfPresent(snapshotPath);
      prefetched = null;
      return read;
    },
    async writeSnapshot(data) {
      prefetched = null;
      // No fsync: a snapshot lost to a power cut only means the next start reads the shards.
      const temporary = `${snapshotPath}.tmp`;
      await writeFile(temporary, data);
      await rename(temporary, snapshotPath);
    },
  };
}

/**
 * The whole file in one read request where the system allows (`readFile` reads 512 KiB at a time,
 * and each next piece waits for the event loop, which a starting store keeps busy).
 */
async function readIfPresent(path: string): Promise<Buffer | null> {
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
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === size ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

export function createMemoryIndexStorage(): IndexStorage {
  const documents = new Map<string, Memory<unknown>>();
  let snapshot: Buffer | null = null;
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
    async readSnapshot() {
      return snapshot;
    },
    async writeSnapshot(data) {
      snapshot = data;
    },
  };
}
