/**
 * One timer per worker thread that has nothing to do, for pools that stop such threads
 * (verifier-pool.ts, parser-pool.ts): `arm` when a thread goes idle, `disarm` when it is handed work
 * or is gone, `clear` when the pool closes. A timer never keeps the process alive.
 */
export class IdleStops<Thread> {
  readonly #timers = new Map<Thread, NodeJS.Timeout>();

  constructor(readonly afterMs: number) {}

  /** Calls `stop` once `thread` has stayed idle for `afterMs` (restarting the wait if it was armed). */
  arm(thread: Thread, stop: () => void): void {
    this.disarm(thread);
    const timer = setTimeout(() => {
      this.#timers.delete(thread);
      stop();
    }, this.afterMs);
    timer.unref();
    this.#timers.set(thread, timer);
  }

  disarm(thread: Thread): void {
    const timer = this.#timers.get(thread);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(thread);
  }

  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
