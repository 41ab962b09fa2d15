import type { Connection } from "./connection.js";

/** Items queued beyond this pause reading from the client until the session catches up (pipelining). */
const MAX_QUEUED = 64;

/**
 * What a client sent, framed (commands, lines), waiting for the session that runs them one at a
 * time. A client that races ahead is paused at the socket, so memory stays bounded.
 */
export class InputQueue<T> {
  readonly #connection: Connection;
  readonly #items: T[] = [];
  #wake: (() => void) | null = null;
  #paused = false;
  #closed = false;

  constructor(connection: Connection) {
    this.#connection = connection;
    connection.onClose(() => this.close());
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length > MAX_QUEUED && !this.#paused) {
      this.#paused = true;
      this.#connection.pause();
    }
    this.#wake?.();
  }

  /** Drops what is queued (after STARTTLS: nothing sent in plain text may run as if it were protected). */
  clear(): void {
    this.#items.length = 0;
  }

  /** The next item, or null once the queue is closed (the connection went away or the session ended). */
  async next(): Promise<T | null> {
    for (;;) {
      if (this.#closed) return null;
      const item = this.#items.shift();
      if (item !== undefined) {
        if (this.#paused && this.#items.length < MAX_QUEUED / 4) {
          this.#paused = false;
          this.#connection.resume();
        }
        return item;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = null;
    }
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }
}
