import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { type Adapter, Memory } from "lowdb";
import { DocumentWriter, JsonDocumentFile } from "./json-document-file.js";
import { dropReadAhead, readAhead, readWholeFile, SUMMARIES_SNAPSHOT } from "./read-ahead.js";

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
const SNAPSHOT_FILE = basename(SUMMARIES_SNAPSHOT);

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
  if (options.prefetchSnapshot) readAhead(snapshotPath);
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
      return readWholeFile(snapshotPath);
    },
    async writeSnapshot(data) {
      dropReadAhead(snapshotPath);
      // No fsync: a snapshot lost to a power cut only means the next start reads the shards.
      const temporary = `${snapshotPath}.tmp`;
      await writeFile(temporary, data);
      await rename(temporary, snapshotPath);
    },
  };
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
