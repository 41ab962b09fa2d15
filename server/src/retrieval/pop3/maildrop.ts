import type { IndexedSummary } from "../../store/message-store.js";

/**
 * The messages of one POP3 session (RFC 1939 section 5): numbered at login, fixed for the session;
 * DELE only marks, QUIT applies. The store is not locked: a message deleted elsewhere meanwhile
 * is answered "-ERR" when asked for, and skipped at QUIT.
 */
export class Maildrop {
  readonly #messages: readonly IndexedSummary[];
  readonly #deleted = new Set<number>();

  constructor(messages: readonly IndexedSummary[]) {
    this.#messages = messages;
  }

  /** Message `number` (1-based) unless it is marked deleted. */
  get(number: number): IndexedSummary | null {
    if (this.#deleted.has(number)) return null;
    return this.#messages[number - 1] ?? null;
  }

  isDeleted(number: number): boolean {
    return this.#deleted.has(number);
  }

  /** [number, summary] of each message not marked deleted. */
  listed(): Array<[number, IndexedSummary]> {
    return this.#messages
      .map((summary, index): [number, IndexedSummary] => [index + 1, summary])
      .filter(([number]) => !this.#deleted.has(number));
  }

  markDeleted(number: number): void {
    this.#deleted.add(number);
  }

  reset(): void {
    this.#deleted.clear();
  }

  /** Ids of the messages marked deleted. */
  marked(): string[] {
    return [...this.#deleted].map((number) => this.#messages[number - 1]!.id);
  }
}
