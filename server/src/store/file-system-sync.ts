import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import type { Socket } from "node:net";

/** Makes every written file of one file system durable at once. */
export interface FileSystemSync {
  sync(): Promise<void>;
  /** Ends the helper process; a later `sync` rejects. */
  close(): void;
}

/**
 * The helper: one `sync -f "$1"` per line read, answering with its exit status. A long-lived shell,
 * because forking the server itself once per checkpoint stalled its event loop for 30–70 ms (the
 * page tables of a few hundred MB are copied), while the shell's own fork is tiny.
 */
const HELPER = 'while read -r _; do sync -f "$1"; echo "$?"; done';

/**
 * `syncfs(2)` on the file system holding `directory`, through `sync -f` (GNU coreutils 8.24+,
 * BusyBox), since Node has no binding for it. The checkpoint uses it instead of an fsync per file:
 * one call writes back every file of its segments (and the directory entries) in one journal
 * commit, where thousands of separate fsyncs each force their own and fell behind at about 1,000
 * messages a second. PostgreSQL offers the same trade for its startup sync
 * (`recovery_init_sync_method = syncfs`).
 *
 * Linux only (syncfs reports write-back errors since Linux 5.8; elsewhere `sync` has no such
 * option): null on other platforms. A sync rejects when the helper is missing, died or `sync`
 * failed; the checkpoint then fsyncs file by file.
 */
export function fileSystemSync(directory: string): FileSystemSync | null {
  if (process.platform !== "linux") return null;
  return new SyncHelper(directory);
}

class SyncHelper implements FileSystemSync {
  readonly #directory: string;
  /**
   * Started at the first sync, not with the store: a clean close syncs once, and a checkpoint of the
   * write-ahead log (which only messages over the buffer limit, or a log left by an older version,
   * go through) once per segment, so a running sandbox may never need it, while spawning the shell
   * held a start for about 10 ms.
   */
  #child: ChildProcessWithoutNullStreams | null = null;
  /** Callers waiting for a status line, in the order their requests were written. */
  readonly #waiting: { resolve(): void; reject(error: Error): void }[] = [];
  #stdout = "";
  #stderr = "";
  #failure: Error | null = null;

  constructor(directory: string) {
    this.#directory = directory;
  }

  sync(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#error(this.#failure.message));
    this.#child ??= this.#spawn();
    const child = this.#child;
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#hold(true);
      child.stdin.write("\n");
    });
  }

  #spawn(): ChildProcessWithoutNullStreams {
    const child = spawn("sh", ["-c", HELPER, "sh", this.#directory], { stdio: "pipe" });
    (child.stdin as unknown as Socket).unref?.();
    (child.stderr as unknown as Socket).unref?.();
    child.stdout.setEncoding("utf8").on("data", (text: string) => this.#onOutput(text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-1000);
    });
    child.stdin.on("error", () => {});
    child.on("error", (error) => this.#fail(error));
    child.on("exit", (code, signal) => this.#fail(new Error(`the sync helper exited (${signal ?? code})`)));
    return child;
  }

  /**
   * Idle between checkpoints, the helper must not keep the process alive; while a sync is awaited it
   * must, or a shutdown whose last step is that sync would exit before it is answered.
   */
  #hold(waiting: boolean): void {
    const child = this.#child;
    if (child === null) return;
    const stdout = child.stdout as unknown as Socket;
    if (waiting) {
      child.ref();
      stdout.ref?.();
    } else {
      child.unref();
      stdout.unref?.();
    }
  }

  close(): void {
    this.#fail(new Error("closed"));
    this.#child?.stdin.end();
  }

  #onOutput(text: string): void {
    this.#stdout += text;
    let newline = this.#stdout.indexOf("\n");
    while (newline >= 0) {
      const status = this.#stdout.slice(0, newline).trim();
      this.#stdout = this.#stdout.slice(newline + 1);
      const waiter = this.#waiting.shift();
      if (status === "0") waiter?.resolve();
      else waiter?.reject(this.#error(this.#stderr.trim() || `exit status ${status}`));
      this.#stderr = "";
      newline = this.#stdout.indexOf("\n");
    }
    if (this.#waiting.length === 0) this.#hold(false);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#error(error.message));
    this.#hold(false);
  }

  #error(detail: string): FileSystemSyncError {
    return new FileSystemSyncError(this.#directory, detail);
  }
}

export class FileSystemSyncError extends Error {
  override name = "FileSystemSyncError" as const;

  constructor(
    readonly directory: string,
    readonly detail: string,
  ) {
    super(`sync -f ${JSON.stringify(directory)} failed: ${detail}`);
  }
}
