import { fdatasyncSync, writevSync } from "node:fs";
import { open } from "node:fs/promises";
import { dropBytes } from "./write-all.js";

/** An open log or segment file: appends and fdatasyncs. Injectable so tests can gate or fail them. */
export interface AppendFile {
  append(chunks: Buffer[]): Promise<void>;
  datasync(): Promise<void>;
  /**
   * The same fdatasync on the calling thread. On an idle server it answers sooner than `datasync`,
   * which waits for a thread-pool thread to wake and then for the event loop to wake (docs/storage.md,
   * "One message at a time"). Optional: a file without it is always synced through the pool.
   */
  datasyncNow?(): void;
  close(): Promise<void>;
}

/**
 * Appends with a blocking `writev` (a few KB into the page cache, microseconds) and fdatasyncs
 * through the thread pool: one round trip per group commit. Records appended while an fdatasync runs
 * are covered by the next one, which is what the group commit waits for.
 */
export async function openAppendFile(path: string): Promise<AppendFile> {
  const handle = await open(path, "a");
  return {
    async append(chunks) {
      let pending = chunks;
      while (pending.length > 0) pending = dropBytes(pending, writevSync(handle.fd, pending));
    },
    datasync: () => handle.datasync(),
    datasyncNow: () => fdatasyncSync(handle.fd),
    close: () => handle.close(),
  };
}
