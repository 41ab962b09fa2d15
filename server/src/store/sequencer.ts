/**
 * Hands out sequence numbers and makes messages visible strictly in sequence order.
 *
 * Concurrent ingests finish out of order (a 1 MB message commits after a 2 KB one that started later).
 * If the later one became visible first, a client could read head = 8 while 7 is still committing,
 * ask for "since 8" and never see 7. So a finished message waits until every lower sequence is
 * published or abandoned; `head` only moves over a gap-free prefix.
 */
export class Sequencer {
  #lastAssigned: number;
  #published: number;
  readonly #finished = new Map<number, { publish: (() => void) | null; done: () => void }>();

  constructor(start: number) {
    this.#lastAssigned = start;
    this.#published = start;
  }

  /** The highest sequence whose message (and every one before it) is visible. */
  get head(): number {
    return this.#published;
  }

  next(): number {
    this.#lastAssigned += 1;
    return this.#lastAssigned;
  }

  /**
   * Runs `publish` once every lower sequence is settled; resolves after it ran. Pass null for a
   * sequence that will never be stored (its ingest failed), so later ones are not held up.
   */
  settle(sequence: number, publish: (() => void) | null): Promise<void> {
    return new Promise((resolve) => {
      this.#finished.set(sequence, { publish, done: resolve });
      this.#drain();
    });
  }

  #drain(): void {
    for (;;) {
      const next = this.#finished.get(this.#published + 1);
      if (!next) return;
      this.#finished.delete(this.#published + 1);
      this.#published += 1;
      try {
        next.publish?.();
      } finally {
        next.done();
      }
    }
  }
}
