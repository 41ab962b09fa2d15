import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { type Adapter, Memory } from "lowdb";
import { DataFile } from "lowdb/node";

/** Where the lowdb index documents live: one JSON file each under `<dataDir>/index/`, or memory. */
export interface IndexStorage {
  /** Names of the stored documents. */
  list(): Promise<string[]>;
  adapter<T>(name: string): Adapter<T>;
  remove(name: string): Promise<void>;
}

export async function createFileIndexStorage(directory: string): Promise<IndexStorage> {
  await mkdir(directory, { recursive: true });
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
  };
}

export function createMemoryIndexStorage(): IndexStorage {
  const documents = new Map<string, Memory<unknown>>();
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
  };
}
