/**
 * Group commit's queue, for the journals (`journal.ts`, `store/postgres/postgres-journal.ts`): items
 * pushed while a batch is being handled go together in the next batch, one batch at a time. The
 * first batch waits for the rest of the event-loop turn, so a burst of pushes is one batch.
 */
export class BatchQueue<T> {
  readonly #handle: (batch: T[]) => Promise<void>;
  #items: T[] = [];
  #draining = false;
  #drained: Promise<void> = Promise.resolve();

  /** `handle` must not reject: it settles each item of its batch itself. */
  constructor(handle: (batch: T[]) => Promise<void>) {
    this.#handle = handle;
  }

  push(item: T): void {
    this.#items.push(item);
    if (!this.#draining) {
      this.#draining = true;
      this.#drained = this.#drain();
    }
  }

  /** Resolves once every item pushed so far is handled. */
  get drained(): Promise<void> {
    return this.#drained;
  }

  async #drain(): Promise<void> {
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.#items.length > 0) await this.#handle(this.#items.splice(0));
    } finally {
      // In the same microtask as the loop's last look at the queue: an item pushed by whoever a
      // handled batch woke up (it runs just after) starts a drain of its own, never strands.
      this.#draining = false;
    }
  }
}

/** Runs the work given to it one piece at a time, in call order; a failure does not stop the next. */
export class SerialRunner {
  #last: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#last.then(work, work);
    this.#last = run.catch(() => {});
    return run;
  }

  /** Resolves once the work given so far is done (however it ended). */
  get idle(): Promise<void> {
    return this.#last.then(() => {});
  }
}
