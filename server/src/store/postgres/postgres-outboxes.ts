import type { DeliveryTurn, SharedJournalOptions, SharedOutboxes } from "../../outbox/shared-outboxes.js";
import { ChangeListener } from "./change-listener.js";
import { type ConnectOptions, connect, type Sql } from "./connect.js";
import { type DeliveryTurnOptions, PostgresDeliveryTurns } from "./delivery-turn.js";
import { PostgresJournal } from "./postgres-journal.js";
import { JOURNAL_CHANNEL, migrate } from "./schema.js";

const SAFETY_READ_MS = 5_000;

export interface PostgresOutboxesOptions {
  connection?: ConnectOptions;
  turn?: DeliveryTurnOptions;
  /** See `PostgresJournal`. */
  compactAfterRecords?: number;
}

/**
 * The sandbox's outboxes on PostgreSQL (docs/scaling.md, "Webhooks"): their journals in
 * `mailnest_journal`, followed by every instance through one LISTEN connection, and one delivery
 * turn per outbox. A small pool of its own, like the fault rules', so a burst of deliveries' records
 * never waits behind ingest's connections or holds them.
 */
export class PostgresOutboxes implements SharedOutboxes {
  readonly #sql: Sql;
  readonly #options: PostgresOutboxesOptions;
  readonly #journals = new Map<string, PostgresJournal<unknown>>();
  readonly #turns: PostgresDeliveryTurns;
  #listener: ChangeListener | null = null;
  readonly #safety: NodeJS.Timeout;

  private constructor(url: string, options: PostgresOutboxesOptions) {
    this.#options = options;
    this.#sql = connect(url, { max: 4, ...options.connection });
    this.#turns = new PostgresDeliveryTurns(url, options.connection ?? {}, options.turn);
    // NOTIFY is not kept for a connection that is down or not yet listening: a slow look now and
    // then bounds how long anything missed that way waits (normally nothing is).
    this.#safety = setInterval(() => this.#catchUpAll(), SAFETY_READ_MS);
    this.#safety.unref();
  }

  /** Connects, migrates if needed and listens. */
  static async open(url: string, options: PostgresOutboxesOptions = {}): Promise<PostgresOutboxes> {
    const outboxes = new PostgresOutboxes(url, options);
    try {
      await migrate(outboxes.#sql);
      const listener = new ChangeListener(
        url,
        options.connection ?? {},
        {
          // The payload is the journal's name.
          notified: (name) =>
            void outboxes.#journals
              .get(name)
              ?.catchUp()
              .catch(() => {}),
          // Back after an outage: whatever was appended meanwhile was notified to nobody here.
          listening: () => outboxes.#catchUpAll(),
        },
        JOURNAL_CHANNEL,
      );
      outboxes.#listener = listener;
      await listener.start();
    } catch (error) {
      await outboxes.close();
      throw error;
    }
    return outboxes;
  }

  async openJournal<R>(name: string, options: SharedJournalOptions<R>): Promise<PostgresJournal<R>> {
    if (this.#journals.has(name)) throw new Error(`the ${name} journal is already open`);
    const journal = new PostgresJournal<R>(this.#sql, name, {
      ...options,
      ...(this.#options.compactAfterRecords === undefined
        ? {}
        : { compactAfterRecords: this.#options.compactAfterRecords }),
    });
    // Followed before the first read, so an append notified meanwhile is read (again, harmlessly).
    this.#journals.set(name, journal as PostgresJournal<unknown>);
    try {
      await journal.catchUp();
    } catch (error) {
      this.#journals.delete(name);
      throw error;
    }
    return journal;
  }

  deliveryTurn(name: string): DeliveryTurn {
    return this.#turns.turn(name);
  }

  /** After the outboxes that use it are closed. */
  async close(): Promise<void> {
    clearInterval(this.#safety);
    await this.#listener?.close();
    await this.#turns.close();
    for (const journal of this.#journals.values()) await journal.close();
    await this.#sql.end({ timeout: 1 }).catch(() => {});
  }

  #catchUpAll(): void {
    for (const journal of this.#journals.values()) void journal.catchUp().catch(() => {});
  }
}
