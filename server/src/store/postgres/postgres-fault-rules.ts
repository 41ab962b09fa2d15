import type { FaultLogEntry, FaultRule } from "@mailnest/protocol";
import type { FaultLogRecord, SharedFaultRules } from "../../faults/shared-fault-rules.js";
import { ChangeListener } from "./change-listener.js";
import { type ConnectOptions, connect, type Sql } from "./connect.js";
import { PostgresFaultMemory } from "./fault-memory.js";
import { FaultTable } from "./fault-table.js";
import { rereader } from "./rereader.js";
import { FAULTS_CHANNEL, migrate } from "./schema.js";
import { guardDatabase } from "./unavailable.js";

export interface PostgresFaultRulesOptions {
  maxLogEntries: number;
  connection?: ConnectOptions;
}

/**
 * The fault rules of a sandbox on PostgreSQL (docs/scaling.md, "Fault rules"): stored in
 * `FaultTable`, with a copy in memory that every change refreshes. A change notifies
 * `FAULTS_CHANNEL`; each instance then reads the rules again (they are few), and reads them again
 * whenever its LISTEN connection is back after an outage, so no change is missed for good.
 */
export class PostgresFaultRules implements SharedFaultRules {
  rules: FaultRule[] = [];
  readonly memory: PostgresFaultMemory;
  readonly #sql: Sql;
  readonly #table: FaultTable;
  #listener: ChangeListener | null = null;

  private constructor(sql: Sql, options: PostgresFaultRulesOptions) {
    this.#sql = sql;
    this.#table = new FaultTable(sql, { maxLogEntries: options.maxLogEntries });
    this.memory = new PostgresFaultMemory(sql);
  }

  /** Connects (a small pool of its own), migrates if needed, listens, and reads the rules. */
  static async open(url: string, options: PostgresFaultRulesOptions): Promise<PostgresFaultRules> {
    const sql = connect(url, { max: 4, ...options.connection });
    const rules = new PostgresFaultRules(sql, options);
    try {
      await migrate(sql);
      const listener = new ChangeListener(
        url,
        options.connection ?? {},
        { notified: () => void rules.refresh(), listening: () => void rules.refresh() },
        FAULTS_CHANNEL,
      );
      rules.#listener = listener;
      await listener.start();
      await rules.refresh();
    } catch (error) {
      await rules.close();
      throw error;
    }
    return rules;
  }

  // What the API calls fails with StorageFailedError, so a database that is away answers
  // `503 storage_unavailable` as for messages (docs/scaling.md, "When PostgreSQL is unavailable").

  insert(rule: FaultRule): Promise<void> {
    return guardDatabase(`adding fault rule ${rule.id}`, async () => {
      await this.#table.insert(rule);
      await this.#changed();
    });
  }

  list(): Promise<FaultRule[]> {
    return guardDatabase("reading the fault rules", () => this.#table.rules());
  }

  delete(id: string): Promise<boolean> {
    return guardDatabase(`deleting fault rule ${id}`, async () => {
      const deleted = await this.#table.delete(id);
      if (deleted) await this.#changed();
      return deleted;
    });
  }

  clear(): Promise<string[]> {
    return guardDatabase("deleting the fault rules", async () => {
      const ids = await this.#table.clear();
      if (ids.length > 0) await this.#changed();
      return ids;
    });
  }

  async consume(id: string): Promise<FaultRule | null> {
    const used = await this.#table.consume(id);
    // The copy follows at once, so this instance does not ask again for a rule it knows is used up.
    if (used === null || used.remaining === 0) this.rules = this.rules.filter((rule) => rule.id !== id);
    else {
      const copy = this.rules.find((rule) => rule.id === id);
      if (copy) Object.assign(copy, { remaining: used.remaining, triggered: used.triggered });
    }
    void this.#notify().catch(() => {});
    return used;
  }

  appendLog(entry: FaultLogRecord): Promise<FaultLogEntry> {
    return this.#table.appendLog(entry);
  }

  log(): Promise<FaultLogEntry[]> {
    return guardDatabase("reading the fault log", () => this.#table.log());
  }

  clearLog(): Promise<number> {
    return guardDatabase("clearing the fault log", () => this.#table.clearLog());
  }

  /**
   * Reads the rules again. Calls while a read runs share one read that starts after it, so a
   * caller always gets a copy read after it asked. A failed read keeps the copy it had.
   */
  readonly refresh: () => Promise<void> = rereader(() => this.#load());

  async close(): Promise<void> {
    await this.#listener?.close();
    await this.#sql.end({ timeout: 1 }).catch(() => {});
  }

  async #load(): Promise<void> {
    try {
      this.rules = await this.#table.rules();
    } catch {
      // The database is away: the copy stays as it was, and LISTEN's return reads the rules again.
    }
  }

  /** After a change here: the others read the rules again, and so does this copy. */
  async #changed(): Promise<void> {
    await this.#notify();
    await this.refresh();
  }

  async #notify(): Promise<void> {
    await this.#sql`SELECT pg_notify(${FAULTS_CHANNEL}, '')`;
  }
}
