import type postgres from "postgres";
import { type ConnectOptions, sessionClient } from "./connect.js";
import { CHANGES_CHANNEL } from "./schema.js";

/** Waits between attempts to LISTEN again after the connection dropped: grows to the last, then stays. */
const RELISTEN_DELAYS_MS = [50, 100, 250, 500, 1_000, 2_000];

export interface ChangeListenerHandlers {
  /** A commit notified the channel: its payload (the change log's: the change number). */
  notified(payload: string): void;
  /** LISTEN is (again) in place: whatever was committed before may have been notified to nobody. */
  listening(): void;
}

/**
 * The LISTEN connection, one per instance, outside the pool. The client's own `listen()` tries to
 * subscribe again once when its connection closes and gives up if the database is still down at
 * that moment, which would leave an instance deaf after a restart of PostgreSQL; this one keeps
 * trying, with growing pauses, until LISTEN is back (or it is closed), and then says so.
 */
export class ChangeListener {
  readonly #client: postgres.Sql;
  readonly #handlers: ChangeListenerHandlers;
  readonly #channel: string;
  #relistening = false;
  #closed = false;

  /** `channel`: the change log's by default; the fault rules and the journals have their own. */
  constructor(
    url: string,
    options: ConnectOptions,
    handlers: ChangeListenerHandlers,
    channel: string = CHANGES_CHANNEL,
  ) {
    this.#handlers = handlers;
    this.#channel = channel;
    this.#client = sessionClient(url, options, {
      onnotify: (channel, payload) => {
        if (channel === this.#channel) handlers.notified(payload);
      },
      onclose: () => this.#relisten(),
    });
  }

  /** Subscribes; rejects when the database cannot be reached. */
  async start(): Promise<void> {
    await this.#client.unsafe(`LISTEN ${this.#channel}`);
    this.#handlers.listening();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#client.end({ timeout: 1 }).catch(() => {});
  }

  #relisten(): void {
    if (this.#relistening || this.#closed) return;
    this.#relistening = true;
    void (async () => {
      for (let attempt = 0; !this.#closed; attempt++) {
        await new Promise((resolve) =>
          setTimeout(resolve, RELISTEN_DELAYS_MS[Math.min(attempt, RELISTEN_DELAYS_MS.length - 1)]),
        );
        if (this.#closed) break;
        try {
          await this.#client.unsafe(`LISTEN ${this.#channel}`);
          this.#relistening = false;
          if (!this.#closed) this.#handlers.listening();
          return;
        } catch {
          // Still down: try again after a longer pause.
        }
      }
      this.#relistening = false;
    })();
  }
}
