import postgres from "postgres";
import type { DeliveryTurn } from "../../outbox/shared-outboxes.js";
import type { ConnectOptions } from "./connect.js";
import { ADVISORY_LOCK } from "./schema.js";

export interface DeliveryTurnOptions {
  /** How often an instance without the turn asks for it. @default 1000 */
  retryMs?: number;
  /** How often the holder checks that its session (which holds the lock) is alive. @default 2000 */
  checkMs?: number;
}

/**
 * A shared outbox's delivery turn: a session-level advisory lock, on a connection of its own, held by
 * one instance at a time. It is released by PostgreSQL when that session ends, so the turn passes to
 * another instance within `retryMs` of the holder's exit, a `kill -9` included. The holder checks its
 * session every `checkMs` and gives the turn up (stops attempting) as soon as it fails: after a
 * silent loss two instances may both attempt for up to that long, which delivery at least once
 * allows (receivers dedupe on `webhook-id`, docs/integrations.md).
 */
export class PostgresDeliveryTurn implements DeliveryTurn {
  readonly #client: postgres.Sql;
  readonly #key: string;
  readonly #listeners = new Set<(held: boolean) => void>();
  readonly #retryMs: number;
  readonly #checkMs: number;
  #held = false;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(url: string, name: string, connection: ConnectOptions, options: DeliveryTurnOptions = {}) {
    this.#key = (ADVISORY_LOCK.deliveryTurn + BigInt(smallHash(name))).toString();
    this.#retryMs = options.retryMs ?? 1000;
    this.#checkMs = options.checkMs ?? 2000;
    this.#client = postgres(url, {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      connect_timeout: connection.connectTimeoutSeconds ?? 5,
      fetch_types: false,
      onnotice: () => {},
      // The session, and with it the lock, is gone.
      onclose: () => this.#set(false),
    } as postgres.Options<Record<string, postgres.PostgresType>>);
    this.#schedule(0);
  }

  get held(): boolean {
    return this.#held;
  }

  onChange(listener: (held: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Ends the session, which hands the turn to another instance. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#set(false);
    await this.#client.end({ timeout: 1 }).catch(() => {});
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#tick(), delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    try {
      if (this.#held) {
        await this.#client`SELECT 1`;
      } else {
        // Re-entrant within one session: asking again while (unknowingly) holding it is harmless.
        const [row] = await this.#client<{ locked: boolean }[]>`
          SELECT pg_try_advisory_lock(${this.#key}::bigint) AS locked`;
        if (!this.#closed) this.#set(row?.locked === true);
      }
    } catch {
      this.#set(false);
    }
    this.#schedule(this.#held ? this.#checkMs : this.#retryMs);
  }

  #set(held: boolean): void {
    if (held === this.#held) return;
    this.#held = held;
    for (const listener of this.#listeners) listener(held);
  }
}

/** 0–255 from the outbox's name, so each outbox has its own turn. */
function smallHash(name: string): number {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 256;
  return hash;
}
