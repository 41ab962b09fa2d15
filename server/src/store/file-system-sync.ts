import { execFile } from "node:child_process";

/** Makes every written file of one file system durable at once. */
export type FileSystemSync = () => Promise<void>;

/** Generous: syncfs waits for all dirty data of the file system, other programs' included. */
const SYNC_TIMEOUT_MS = 120_000;

/**
 * `syncfs(2)` on the file system holding `directory`, through `sync --file-system` (GNU coreutils
 * 8.24+, BusyBox), since Node has no binding for it. The checkpoint uses it instead of an fsync per
 * file: one call writes back every file of a segment (and the directory entries) in one journal
 * commit, where thousands of separate fsyncs each force their own and fell behind at about 1,000
 * messages a second. PostgreSQL offers the same trade for its startup sync
 * (`recovery_init_sync_method = syncfs`). One process per checkpoint, so about one every 2 s.
 *
 * Linux only (syncfs reports write-back errors since Linux 5.8; elsewhere `sync` has no such
 * option): null on other platforms. A call rejects when the command is missing or fails; the
 * checkpoint then fsyncs file by file.
 */
export function fileSystemSync(directory: string): FileSystemSync | null {
  if (process.platform !== "linux") return null;
  return () => runSync(directory);
}

function runSync(directory: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("sync", ["--file-system", directory], { timeout: SYNC_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else reject(new FileSystemSyncError(directory, stderr.trim() || error.message));
    });
  });
}

export class FileSystemSyncError extends Error {
  override name = "FileSystemSyncError" as const;

  constructor(
    readonly directory: string,
    readonly detail: string,
  ) {
    super(`sync --file-system ${JSON.stringify(directory)} failed: ${detail}`);
  }
}
