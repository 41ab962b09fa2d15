import postgres from "postgres";
import { type SharedMessageFlags, VOLATILE_FLAGS, type VolatileFlag } from "../message-store.js";
import { ChangeListener } from "./change-listener.js";
import { type ConnectOptions, connect, type Sql } from "./connect.js";
import { FLAGS_CHANNEL, migrate } from "./schema.js";
import { databaseError, guardDatabase } from "./unavailable.js";

/** PostgreSQL's foreign_key_violation: the message was deleted before its flags were written. */
const FOREIGN_KEY_VIOLATION = "23503";

/**
 * IMAP's volatile flags of a sandbox on PostgreSQL (docs/scaling.md, "IMAP"), in
 * `mailnest_message_flags` (migration 11). A change is one statement that adds and removes flags on
 * the stored set (so two instances flagging one message at once both count) and notifies
 * `FLAGS_CHANNEL` with the message's id; every instance then reads that message's flags again, and
 * all of them whenever its LISTEN connection is back after an outage.
 */
export class PostgresMessageFlags implements SharedMessageFlags {
  readonly #sql: Sql;
  readonly #listeners = new Set<(id: string | null) => void>();
  #listener: ChangeListener | null = null;

  private constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Connects (a small pool of its own), migrates if needed, and listens. */
  static async open(
    url: string,
    options: { connection?: ConnectOptions } = {},
  ): Promise<PostgresMessageFlags> {
    // One connection: a change is one short transaction, and each instance's pools count against
    // PostgreSQL's max_connections (docs/scaling.md).
    const sql = connect(url, { max: 1, ...options.connection });
    const flags = new PostgresMessageFlags(sql);
    try {
      await migrate(sql);
      const announce = (id: string | null) => {
        for (const listener of flags.#listeners) listener(id);
      };
      flags.#listener = new ChangeListener(
        url,
        options.connection ?? {},
        { notified: (id) => announce(id), listening: () => announce(null) },
        FLAGS_CHANNEL,
      );
      await flags.#listener.start();
    } catch (error) {
      await flags.close();
      throw error;
    }
    return flags;
  }

  async all(): Promise<Map<string, VolatileFlag[]>> {
    const rows = await guardDatabase(
      "reading the IMAP flags",
      () => this.#sql<{ id: string; flags: string[] }[]>`SELECT id, flags FROM mailnest_message_flags`,
    );
    return new Map(rows.map((row) => [row.id, known(row.flags)]));
  }

  async of(id: string): Promise<VolatileFlag[]> {
    const rows = await guardDatabase(
      `reading the IMAP flags of message ${id}`,
      () => this.#sql<{ flags: string[] }[]>`SELECT flags FROM mailnest_message_flags WHERE id = ${id}`,
    );
    return known(rows[0]?.flags ?? []);
  }

  async change(
    id: string,
    add: readonly VolatileFlag[],
    remove: readonly VolatileFlag[],
  ): Promise<VolatileFlag[] | null> {
    try {
      const flags = await this.#sql.begin(async (tx) => {
        const [row] = await tx<{ flags: string[] }[]>`
          INSERT INTO mailnest_message_flags AS kept (id, flags)
          VALUES (${id}, ${[...add].sort()}::text[])
          ON CONFLICT (id) DO UPDATE SET flags = ARRAY(
            SELECT DISTINCT flag FROM unnest(kept.flags || ${[...add]}::text[]) AS flag
            WHERE NOT (flag = ANY(${[...remove]}::text[]))
            ORDER BY flag)
          RETURNING flags`;
        const stored = row?.flags ?? [];
        if (stored.length === 0) await tx`DELETE FROM mailnest_message_flags WHERE id = ${id}`;
        await tx`SELECT pg_notify(${FLAGS_CHANNEL}, ${id})`;
        return stored;
      });
      return known(flags);
    } catch (error) {
      if (error instanceof postgres.PostgresError && error.code === FOREIGN_KEY_VIOLATION) return null;
      throw databaseError(`changing the IMAP flags of message ${id} in PostgreSQL`, error);
    }
  }

  subscribe(listener: (id: string | null) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#listener?.close();
    await this.#sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** The flags Mailnest keeps, in the order of `VOLATILE_FLAGS` (anything else in a row is ignored). */
function known(stored: readonly string[]): VolatileFlag[] {
  return VOLATILE_FLAGS.filter((flag) => stored.includes(flag));
}
