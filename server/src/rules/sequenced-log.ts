/**
 * A log of numbered entries (injected faults, generated reports) that keeps only the newest
 * `maxEntries`. Sequences are never reused: the last one handed out is saved with the log, so they
 * keep counting after a clear or a restart.
 */
export class SequencedLog<E extends { sequence: number }> {
  #entries: E[];
  #sequence: number;
  readonly #maxEntries: number;

  constructor(saved: { entries: E[]; sequence: number }, maxEntries: number) {
    this.#entries = saved.entries;
    this.#sequence = saved.sequence;
    this.#maxEntries = maxEntries;
  }

  /** The last sequence handed out. */
  get sequence(): number {
    return this.#sequence;
  }

  /** Adds an entry with the next sequence; the oldest entries go beyond the limit. Returns it. */
  append(fields: Omit<E, "sequence">): E {
    const entry = { sequence: ++this.#sequence, ...fields } as E;
    this.#entries.push(entry);
    if (this.#entries.length > this.#maxEntries) {
      this.#entries.splice(0, this.#entries.length - this.#maxEntries);
    }
    return entry;
  }

  /** Copies of the entries (oldest first) that pass `filter`. */
  list(filter: (entry: E) => boolean = () => true): E[] {
    return this.#entries.filter(filter).map((entry) => structuredClone(entry));
  }

  /** The live entry with this sequence, for an update in place (null when it was dropped). */
  find(sequence: number): E | null {
    return this.#entries.find((entry) => entry.sequence === sequence) ?? null;
  }

  /** Empties the log (sequences keep counting). Returns how many entries it held. */
  clear(): number {
    const removed = this.#entries.length;
    this.#entries = [];
    return removed;
  }

  /** The entries as saved (the array itself: the caller serializes it right away). */
  get entries(): readonly E[] {
    return this.#entries;
  }
}
