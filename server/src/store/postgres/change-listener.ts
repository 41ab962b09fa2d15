import type postgres from "postgres";
import { type ConnectOptions, sessionClient } from "./connect.js";
import { CHANGES_CHANNEL } from "./schema.js";

/**
 * Waits between attempts to LISTEN again after the connection dropped: grows to the last, then
 * stays. Capped at half a second like the pool's (`reconnectDelaySeconds`), so that mail stored once
 * the database is back wakes this instance's waits within about that.
 */
const RELISTEN_DELAYS_MS = [50, 100, 250, 500];

export interface ChangeListenerHandlers {
  /** A commit notified the channel: its payload (the change log's: the change number). */
  notified(payload: string): void;
  /** LISTEN is (again) in place: whatever was committed before may have been notified to nobody. */
  listening(): void;
  /** The connection was lost (the database stopped or the network cut it); LISTEN is retried. */
  lost?(): void;
}

/**
 * A subscription to one channel. Every `ChangeListener` of a process on the same database shares one
 * session connection outside the pools (`ListenSession`): an instance listens on five channels
 * (changes, fault rules, journals, the DNS zone, IMAP's flags), and one connection for all of them
 * leaves more of PostgreSQL's `max_connections` to the pools (docs/scaling.md).
 *
 * The client's own `listen()` tries to subscribe again once when its connection closes and gives
 * up if the database is still down at that moment, which would leave an instance deaf after a
 * restart of PostgreSQL; the session keeps trying, with growing pauses, until LISTEN is back on
 * every channel (or it is closed), and then tells every subscriber.
 */
export class ChangeListener {
  readonly #url: string;
  readonly #options: ConnectOptions;
  readonly #handlers: ChangeListenerHandlers;
  readonly #channel: string;
  #session: ListenSession | null = null;

  /** `channel`: the change log's by default; the fault rules and the journals have their own. */
  constructor(
    url: string,
    options: ConnectOptions,
    handlers: ChangeListenerHandlers,
    channel: string = CHANGES_CHANNEL,
  ) {
    this.#url = url;
    this.#options = options;
    this.#handlers = handlers;
    this.#channel = channel;
  }

  /** Subscribes; rejects when the database cannot be reached. */
  async start(): Promise<void> {
    this.#session = ListenSession.for(this.#url, this.#options);
    await this.#session.subscribe(this.#channel, this.#handlers);
  }

  async close(): Promise<void> {
    await this.#session?.unsubscribe(this.#channel, this.#handlers);
    this.#session = null;
  }
}

/** One session connection per database and process, LISTENing on every channel someone subscribed to. */
class ListenSession {
  static readonly #open = new Map<string, ListenSession>();
  readonly #key: string;
  readonly #client: postgres.Sql;
  readonly #subscribers = new Map<string, Set<ChangeListenerHandlers>>();
  /** Channels LISTENed on the connection as it is now (a new connection listens to none). */
  readonly #listening = new Set<string>();
  #relistening = false;
  #closed = false;

  static for(url: string, options: ConnectOptions): ListenSession {
    const key = `${url}\u0000${JSON.stringify(options)}`;
    let session = ListenSession.#open.get(key);
    if (session === undefined) {
      session = new ListenSession(key, url, options);
      ListenSession.#open.set(key, session);
    }
    return session;
  }

  private constructor(key: string, url: string, options: ConnectOptions) {
    this.#key = key;
    this.#client = sessionClient(url, options, {
      onnotify: (channel, payload) => {
        for (const handlers of this.#subscribers.get(channel) ?? []) handlers.notified(payload);
      },
      onclose: () => this.#relisten(),
    });
  }

  async subscribe(channel: string, handlers: ChangeListenerHandlers): Promise<void> {
    let subscribers = this.#subscribers.get(channel);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.#subscribers.set(channel, subscribers);
    }
    subscribers.add(handlers);
    if (!this.#listening.has(channel)) {
      try {
        await this.#client.unsafe(`LISTEN ${channel}`);
        this.#listening.add(channel);
      } catch (error) {
        await this.unsubscribe(channel, handlers);
        throw error;
      }
    }
    handlers.listening();
  }

  /** The last subscriber out closes the connection. */
  async unsubscribe(channel: string, handlers: ChangeListenerHandlers): Promise<void> {
    const subscribers = this.#subscribers.get(channel);
    subscribers?.delete(handlers);
    if (subscribers?.size === 0) this.#subscribers.delete(channel);
    if (this.#subscribers.size > 0 || this.#closed) return;
    this.#closed = true;
    ListenSession.#open.delete(this.#key);
    await this.#client.end({ timeout: 1 }).catch(() => {});
  }

  #relisten(): void {
    this.#listening.clear();
    if (this.#relistening || this.#closed) return;
    for (const subscribers of this.#subscribers.values())
      for (const handlers of subscribers) handlers.lost?.();
    this.#relistening = true;
    void (async () => {
      for (let attempt = 0; !this.#closed; attempt++) {
        await new Promise((resolve) =>
          setTimeout(resolve, RELISTEN_DELAYS_MS[Math.min(attempt, RELISTEN_DELAYS_MS.length - 1)]),
        );
        if (this.#closed) break;
        try {
          const channels = [...this.#subscribers.keys()];
          for (const channel of channels) {
            await this.#client.unsafe(`LISTEN ${channel}`);
            this.#listening.add(channel);
          }
          this.#relistening = false;
          if (this.#closed) return;
          for (const channel of channels)
            for (const handlers of this.#subscribers.get(channel) ?? []) handlers.listening();
          return;
        } catch {
          // Still down: try again after a longer pause.
        }
      }
      this.#relistening = false;
    })();
  }
}
