import { open } from "node:fs/promises";

/** One fsync of a directory (opened, synced, closed): for a rename or create that happens rarely. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The part of a directory's FileHandle this needs (a fake in tests). */
export interface SyncableHandle {
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * fsyncs a directory so renames into it are durable, with group commit: a caller that arrives while
 * an fsync runs joins the next one (its rename may have missed the running one), and every caller
 * arriving meanwhile shares that same next fsync. Under concurrent ingest this turns N directory
 * fsyncs into about two.
 */
export class DirectorySyncer {
  readonly #handle: SyncableHandle;
  #running: Promise<void> | null = null;
  #queued: Promise<void> | null = null;

  constructor(handle: SyncableHandle) {
    this.#handle = handle;
  }

  static async open(directory: string): Promise<DirectorySyncer> {
    return new DirectorySyncer(await open(directory, "r"));
  }

  sync(): Promise<void> {
    if (this.#queued) return this.#queued;
    if (this.#running) {
      const ignore = () => {};
      this.#queued = this.#running.then(ignore, ignore).then(() => this.#start());
      return this.#queued;
    }
    return this.#start();
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#running, this.#queued]);
    await this.#handle.close();
  }

  #start(): Promise<void> {
    this.#queued = null;
    const run: Promise<void> = this.#handle.sync().finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }
}
