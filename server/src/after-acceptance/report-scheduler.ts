/**
 * Reports waiting for their time (a rule's `delayMs`, the `failed` DSN after a `delay`). Timers in
 * memory, bounded: a report still waiting when the sandbox stops is not made (docs/after-acceptance.md).
 * Jobs that come due are run one at a time, in the order they came due, so a `delayed` DSN is
 * always stored before the `failed` one that follows it.
 */
export class ReportScheduler<T> {
  readonly #max: number;
  readonly #run: (job: T) => Promise<void>;
  readonly #waiting = new Map<number, { dueAt: number; job: T; timer: NodeJS.Timeout }>();
  #sequence = 0;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: { max: number; run: (job: T) => Promise<void> }) {
    this.#max = options.max;
    this.#run = options.run;
  }

  get size(): number {
    return this.#waiting.size;
  }

  /** Runs `job` after `delayMs`; false when too many are waiting already (it is not scheduled). */
  schedule(delayMs: number, job: T): boolean {
    if (this.#closed || this.#waiting.size >= this.#max) return false;
    const key = ++this.#sequence;
    const timer = setTimeout(() => {
      this.#waiting.delete(key);
      this.#queue = this.#queue.then(() => this.#run(job)).catch(() => {});
    }, delayMs);
    this.#waiting.set(key, { dueAt: Date.now() + delayMs, job, timer });
    return true;
  }

  /** What is waiting, soonest first. */
  pending(): Array<{ dueAt: number; job: T }> {
    return [...this.#waiting.entries()]
      .sort(([a, x], [b, y]) => x.dueAt - y.dueAt || a - b)
      .map(([, { dueAt, job }]) => ({ dueAt, job }));
  }

  /** Drops every waiting job (those already running finish). Returns how many. */
  cancelAll(): number {
    const dropped = this.#waiting.size;
    for (const { timer } of this.#waiting.values()) clearTimeout(timer);
    this.#waiting.clear();
    return dropped;
  }

  /** Drops what waits and resolves once what is running is done. */
  async close(): Promise<void> {
    this.#closed = true;
    this.cancelAll();
    await this.#queue;
  }

  /** Runs `job` now, after whatever is running (in the same queue, so order is kept). */
  runNow(job: T): Promise<void> {
    const run = this.#queue.then(() => this.#run(job));
    this.#queue = run.catch(() => {});
    return run;
  }
}
