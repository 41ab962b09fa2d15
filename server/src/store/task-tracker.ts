/** Work the store started and must let finish before it closes: ingests, file deletions, TTL expiries. */
export class TaskTracker {
  readonly #pending = new Set<Promise<unknown>>();

  /** Returns `task` itself; its outcome stays the caller's, the tracker only waits for it. */
  track<T>(task: Promise<T>): Promise<T> {
    const settled = task.then(
      () => {},
      () => {},
    );
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
    return task;
  }

  /** Resolves once nothing is pending, including work started while waiting. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }
}
