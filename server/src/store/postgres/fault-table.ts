import type { FaultLogEntry, FaultRule } from "@mailnest/protocol";
import type { Sql } from "./connect.js";

/** A rule's row: the rule as added, with the counters that change as it fires kept apart. */
interface FaultRuleRow {
  rule: FaultRule;
  remaining: number | null;
  triggered: number;
}

function toRule(row: FaultRuleRow): FaultRule {
  return { ...row.rule, remaining: row.remaining, triggered: row.triggered };
}

/**
 * Fault rules and the fault log in PostgreSQL (`mailnest_fault_rules`, `mailnest_fault_log`,
 * migration 5), shared by every instance on the database. Only rules from the API belong here:
 * `--chaos`, `--greylist` and `--rate-limit` rules are each instance's own.
 *
 * `consume` is the one operation that must be exact across instances: it takes one use of a rule
 * with a conditional UPDATE, which PostgreSQL serialises on the row's lock, so a rule for N
 * messages fires N times in all however many instances race for its last use.
 */
export class FaultTable {
  readonly #sql: Sql;
  readonly #maxLogEntries: number;

  /** `sql` is the store's pool (migrated already); the table does not close it. */
  constructor(sql: Sql, options: { maxLogEntries: number }) {
    this.#sql = sql;
    this.#maxLogEntries = options.maxLogEntries;
  }

  async insert(rule: FaultRule): Promise<void> {
    const { remaining, triggered, ...rest } = rule;
    await this.#sql`
      INSERT INTO mailnest_fault_rules (id, rule, remaining, triggered)
      VALUES (${rule.id}, ${this.#sql.json(toJson({ ...rest, remaining, triggered }))}, ${remaining}, ${triggered})`;
  }

  /** The rules not used up, in the order they were added. */
  async rules(): Promise<FaultRule[]> {
    const rows = await this.#sql<FaultRuleRow[]>`
      SELECT rule, remaining, triggered FROM mailnest_fault_rules
      WHERE remaining IS NULL OR remaining > 0
      ORDER BY position`;
    return rows.map(toRule);
  }

  /** False when no such rule is left. */
  async delete(id: string): Promise<boolean> {
    const rows = await this.#sql`DELETE FROM mailnest_fault_rules WHERE id = ${id} RETURNING id`;
    return rows.length > 0;
  }

  /** Deletes every rule; returns their ids. */
  async clear(): Promise<string[]> {
    const rows = await this.#sql<{ id: string }[]>`DELETE FROM mailnest_fault_rules RETURNING id`;
    return rows.map((row) => row.id);
  }

  /**
   * Takes one use of the rule: its `triggered` grows and a limited rule's `remaining` drops; a rule
   * whose last use this was is deleted in the same transaction. Null when the rule is gone or used
   * up (another instance took its last use, or it was deleted): the caller must not inject it.
   */
  consume(id: string): Promise<FaultRule | null> {
    return this.#sql.begin(async (tx) => {
      const rows = await tx<FaultRuleRow[]>`
        UPDATE mailnest_fault_rules
        SET remaining = CASE WHEN remaining IS NULL THEN NULL ELSE remaining - 1 END,
            triggered = triggered + 1
        WHERE id = ${id} AND (remaining IS NULL OR remaining > 0)
        RETURNING rule, remaining, triggered`;
      const row = rows[0];
      if (row === undefined) return null;
      if (row.remaining === 0) await tx`DELETE FROM mailnest_fault_rules WHERE id = ${id}`;
      return toRule(row);
    });
  }

  /**
   * Appends an entry (its sequence is the table's, unique across instances) and trims the log to
   * the newest `maxLogEntries`, so a chaos soak cannot grow it without bound.
   */
  async appendLog(entry: Omit<FaultLogEntry, "sequence">): Promise<FaultLogEntry> {
    const rows = await this.#sql<{ sequence: number }[]>`
      INSERT INTO mailnest_fault_log (entry) VALUES (${this.#sql.json(toJson(entry))})
      RETURNING sequence`;
    const sequence = rows[0]?.sequence;
    if (sequence === undefined) throw new Error("INSERT INTO mailnest_fault_log returned no sequence");
    await this.#sql`DELETE FROM mailnest_fault_log WHERE sequence <= ${sequence - this.#maxLogEntries}`;
    return { sequence, ...entry };
  }

  /** The log, oldest first. */
  async log(): Promise<FaultLogEntry[]> {
    const rows = await this.#sql<{ sequence: number; entry: Omit<FaultLogEntry, "sequence"> }[]>`
      SELECT sequence, entry FROM mailnest_fault_log ORDER BY sequence`;
    return rows.map((row) => ({ sequence: row.sequence, ...row.entry }));
  }

  /** Empties the log; sequences are never reused. Returns how many entries went. */
  async clearLog(): Promise<number> {
    const rows = await this.#sql`DELETE FROM mailnest_fault_log RETURNING sequence`;
    return rows.length;
  }
}

/** The client's `json()` wants its own JSON type; the rule and entry types are plain JSON data. */
function toJson(value: object): Parameters<Sql["json"]>[0] {
  return value as Parameters<Sql["json"]>[0];
}
