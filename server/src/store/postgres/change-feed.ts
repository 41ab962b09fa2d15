import type { InboxRegistration } from "../message-index.js";
import type { MessageSummary } from "../model.js";
import { ChangeListener } from "./change-listener.js";
import type { ChangeOp } from "./change-log.js";
import type { ConnectOptions, Sql } from "./connect.js";
import type { ChangeRows, Replica } from "./replica.js";
import {
  type RegistrationRow,
  readSnapshot,
  registrationFromRow,
  type SummaryRow,
  summaryFromRow,
} from "./rows.js";

/** A row of the change log. */
interface LoggedChange {
  change: number;
  ops: ChangeOp[];
  /** The instance that committed it (null: logged before schema version 4). */
  writer: string | null;
  /** For a `stored` change: the summaries as written at ingest, without their sequence. */
  summaries: Omit<MessageSummary, "sequence">[] | null;
}

/** Changes read per round trip while catching up. */
const PULL_BATCH = 500;
/**
 * The safety net: a lost notification (there should be none) is noticed within this long. The
 * common case never waits for it: every commit notifies, and a (re)connected listener catches up.
 */
const SAFETY_POLL_MS = 5_000;

/**
 * Keeps the replica current: LISTEN on the change channel (`change-listener.ts`), and on each
 * notification (and after every (re)subscription, and on a slow safety timer) read the change log
 * past the replica's cursor, with the rows it refers to, and apply it in order. One pull runs at a
 * time; `reach(n)` resolves once change `n` is applied here (how a writer makes its own change
 * visible on its own instance before answering).
 */
export class ChangeFeed {
  readonly #sql: Sql;
  readonly #replica: Replica;
  #pulling: Promise<void> | null = null;
  /** Set when a notification arrived while a pull ran: its snapshot may predate that commit. */
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #listener: ChangeListener | null = null;
  #failing = false;
  /** LISTEN in place on a live connection (false from a lost connection until LISTEN is back). */
  #connected = false;
  /** Until the replica is loaded, notifications are not acted on (the snapshot covers them). */
  #armed = false;
  #closed = false;

  constructor(sql: Sql, replica: Replica) {
    this.#sql = sql;
    this.#replica = replica;
  }

  /** Subscribes (LISTEN on a connection of its own); rejects when the database cannot be reached. */
  async start(url: string, options: ConnectOptions): Promise<void> {
    this.#listener = new ChangeListener(url, options, {
      notified: (payload) => {
        const change = Number(payload);
        if (change > this.#replica.cursor) this.kick();
      },
      // After every (re)subscription: whatever was committed while the connection was down was
      // notified to nobody here, so catch up by cursor.
      listening: () => {
        this.#connected = true;
        this.kick();
      },
      lost: () => {
        this.#connected = false;
      },
    });
    await this.#listener.start();
    this.#timer = setInterval(() => this.kick(), SAFETY_POLL_MS);
    this.#timer.unref();
  }

  /** Whether the database answers, as far as this feed knows: its LISTEN connection is up and its last read worked. */
  get reachable(): boolean {
    return this.#connected && !this.#failing;
  }

  /** The replica is loaded: from now on notifications are applied (and one pull catches up now). */
  resume(): void {
    this.#armed = true;
    this.kick();
  }

  /** Pulls soon, logging a failure once per outage (the next notification or the timer retries). */
  kick(): void {
    if (!this.#armed) return;
    this.#pull().then(
      () => {
        if (this.#failing) console.error("mailnest: the PostgreSQL change feed is back");
        this.#failing = false;
      },
      (error: unknown) => {
        if (this.#failing || this.#closed) return;
        this.#failing = true;
        console.error("mailnest: the PostgreSQL change feed cannot read the change log:", describe(error));
      },
    );
  }

  /** Resolves once change `change` (committed) is applied to the replica; rejects if reading fails. */
  async reach(change: number): Promise<void> {
    while (this.#replica.cursor < change) await this.#pull();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#listener?.close();
    await this.#pulling?.catch(() => {});
  }

  /** One pull at a time; a request during a pull runs one more after it. */
  #pull(): Promise<void> {
    if (this.#pulling) {
      this.#again = true;
      return this.#pulling;
    }
    const pulling = (async () => {
      try {
        do {
          this.#again = false;
          while (await this.#pullBatch()) {}
        } while (this.#again && !this.#closed);
      } finally {
        this.#pulling = null;
      }
    })();
    this.#pulling = pulling;
    return pulling;
  }

  /** Applies up to one batch of changes; true when there may be more. */
  async #pullBatch(): Promise<boolean> {
    if (this.#closed) return false;
    const cursor = this.#replica.cursor;
    const changes = await this.#sql<LoggedChange[]>`
      SELECT change, ops, summaries, writer FROM mailnest_changes
      WHERE change > ${cursor} ORDER BY change LIMIT ${PULL_BATCH}`;
    if (changes.length === 0 || this.#closed) return false;
    if (changes.some((change, i) => change.change !== cursor + 1 + i)) {
      // The log was pruned past this cursor (housekeeping keeps it for a while), or has a hole it
      // should never have: start over from a snapshot.
      this.#replica.replace(await readSnapshot(this.#sql));
      return true;
    }
    const rows = await this.#readRows(changes);
    if (this.#replica.cursor !== cursor) return true;
    for (const { change, ops, writer } of changes) this.#replica.apply(change, ops, rows, writer);
    return changes.length === PULL_BATCH;
  }

  /**
   * The rows the changes name: stored summaries from the log itself (as written at ingest; later
   * changes in the log bring read flags and inbox lists up to date), current read flags and inboxes
   * of updated messages, current registrations.
   */
  async #readRows(changes: LoggedChange[]): Promise<ChangeRows> {
    const stored = new Map<number, MessageSummary>();
    const unlogged: { from: number; to: number }[] = [];
    const updated = new Set<string>();
    const registered = new Set<string>();
    for (const { ops, summaries } of changes) {
      for (const op of ops) {
        if (op.op === "stored") {
          if (summaries === null) {
            unlogged.push(op);
            continue;
          }
          for (const [i, summary] of summaries.entries()) {
            stored.set(op.from + i, { ...summary, sequence: op.from + i });
          }
        } else if (op.op === "updated") {
          for (const id of op.ids) updated.add(id);
        } else if (op.op === "registered") {
          registered.add(op.address);
        }
      }
    }
    const sql = this.#sql;
    const [storedRows, updatedRows, registrationRows] = await Promise.all([
      // Changes logged before summaries were (schema version 2): read what is left of their rows.
      unlogged.length === 0
        ? []
        : sql<SummaryRow[]>`
            SELECT sequence, id, inboxes, read, summary FROM mailnest_messages
            WHERE sequence BETWEEN ${Math.min(...unlogged.map((op) => op.from))}
              AND ${Math.max(...unlogged.map((op) => op.to))}`,
      updated.size === 0
        ? []
        : sql<{ id: string; read: boolean; inboxes: string[] }[]>`
            SELECT id, read, inboxes FROM mailnest_messages WHERE id = ANY(${[...updated]}::text[])`,
      registered.size === 0
        ? []
        : sql<RegistrationRow[]>`
            SELECT address, created_at, expires_at FROM mailnest_inboxes
            WHERE address = ANY(${[...registered]}::text[])`,
    ]);
    for (const row of storedRows) {
      if (!stored.has(row.sequence)) stored.set(row.sequence, summaryFromRow(row));
    }
    const registrations = new Map<string, InboxRegistration | null>();
    for (const address of registered) registrations.set(address, null);
    for (const row of registrationRows) registrations.set(row.address, registrationFromRow(row));
    return {
      stored,
      updated: new Map(updatedRows.map((row) => [row.id, { read: row.read, inboxes: row.inboxes }])),
      registrations,
    };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
