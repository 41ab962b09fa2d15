import type postgres from "postgres";
import type { DeliveryTurn } from "../../outbox/shared-outboxes.js";
import { type ConnectOptions, sessionClient } from "./connect.js";
import { ADVISORY_LOCK } from "./schema.js";

export interface DeliveryTurnOptions {
  /** How often an instance without a turn asks for it. @default 1000 */
  retryMs?: number;
  /** How often a holder checks that its session (which holds the locks) is alive. @default 2000 */
  checkMs?: number;
}

interface Turn {
  key: string;
  held: boolean;
  closed: boolean;
  listeners: Set<(held: boolean) => void>;
}

/**
 * The delivery turns of this instance's shared outboxes (one per outbox: webhooks, releases): each a
 * session-level advisory lock, all on one connection of their own, each held by one instance at a
 * time. PostgreSQL releases them when that session ends, so a turn passes to another instance within
 * `retryMs` of the holder's exit, a `kill -9` included. The holder checks its session every
 * `checkMs` and gives its turns up (stops attempting) as soon as that fails: after a silent loss two
 * instances may both attempt for up to that long, which delivery at least once allows (receivers
 * dedupe on `webhook-id`, docs/integrations.md).
 */
export class PostgresDeliveryTurns {
  readonly #client: postgres.Sql;
  readonly #turns = new Map<string, Turn>();
  readonly #retryMs: number;
  readonly #checkMs: number;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(url: string, connection: ConnectOptions, options: DeliveryTurnOptions = {}) {
    this.#retryMs = options.retryMs ?? 1000;
    this.#checkMs = options.checkMs ?? 2000;
    // When the session closes, every lock goes with it.
    this.#client = sessionClient(url, connection, { onclose: () => this.#loseAll() });
  }

  /** Starts competing for the named outbox's turn. */
  turn(name: string): DeliveryTurn {
    if (this.#turns.has(name)) throw new Error(`the ${name} delivery turn is already asked for`);
    const key = ADVISORY_LOCK.deliveryTurn[name as keyof typeof ADVISORY_LOCK.deliveryTurn];
    if (key === undefined) throw new Error(`no delivery turn is defined for an outbox named ${name}`);
    const turn: Turn = {
      key: key.toString(),
      held: false,
      closed: false,
      listeners: new Set(),
    };
    this.#turns.set(name, turn);
    this.#schedule(0);
    const set = (held: boolean) => this.#set(turn, held);
    const client = this.#client;
    return {
      get held() {
        return turn.held;
      },
      onChange(listener) {
        turn.listeners.add(listener);
        return () => turn.listeners.delete(listener);
      },
      async close() {
        turn.closed = true;
        // Handed on at once, while the instance's other turns stay where they are. The lock may
        // have been taken more than once by this session (it is re-entrant): release every level.
        if (turn.held) {
          for (let level = 0; level < 16; level++) {
            const [row] = await client<{ released: boolean }[]>`
              SELECT pg_advisory_unlock(${turn.key}::bigint) AS released`.catch(() => [{ released: false }]);
            if (!row?.released) break;
          }
        }
        set(false);
      },
    };
  }

  /** Ends the session, which hands every turn to another instance. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#loseAll();
    await this.#client.end({ timeout: 1 }).catch(() => {});
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const open = [...this.#turns.values()].filter((turn) => !turn.closed);
    try {
      const waiting = open.filter((turn) => !turn.held);
      // Asking for the turns one is waiting for also shows the session alive.
      if (waiting.length === 0) await this.#client`SELECT 1`;
      for (const turn of waiting) {
        // Re-entrant within one session: asking again while (unknowingly) holding it is harmless.
        const [row] = await this.#client<{ locked: boolean }[]>`
          SELECT pg_try_advisory_lock(${turn.key}::bigint) AS locked`;
        if (!this.#closed && !turn.closed) this.#set(turn, row?.locked === true);
      }
    } catch {
      this.#loseAll();
    }
    const waiting = open.some((turn) => !turn.held);
    this.#schedule(waiting ? this.#retryMs : this.#checkMs);
  }

  #loseAll(): void {
    for (const turn of this.#turns.values()) this.#set(turn, false);
  }

  #set(turn: Turn, held: boolean): void {
    if (held === turn.held) return;
    turn.held = held;
    for (const listener of turn.listeners) listener(held);
  }
}
