import type { GreylistSighting, SharedFaultMemory } from "../../faults/shared-fault-memory.js";
import type { Sql } from "./connect.js";

/** Rows not used for this long are pruned: far beyond any greylisting delay or rate window in a test. */
const KEEP = "1 day";
/** Pruning runs after this many lookups on an instance. */
const PRUNE_EVERY = 1_000;

/**
 * Greylisting and rate-limit memory in `mailnest_fault_memory`, one row per rule and key, each
 * lookup one short transaction holding the row's lock, so instances racing on one triple or sender
 * see one history (docs/scaling.md, "Fault rules"). A row untouched for a day is pruned.
 */
export class PostgresFaultMemory implements SharedFaultMemory {
  readonly #sql: Sql;
  #lookups = 0;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async greylist(
    ruleKey: string,
    triple: string,
    now: number,
    delayMs: number,
    greylistIfFirst: boolean,
  ): Promise<GreylistSighting> {
    this.#pruneNowAndThen();
    return this.#sql.begin(async (tx) => {
      const inserted = await tx`
        INSERT INTO mailnest_fault_memory (rule, key, first_seen, passed)
        VALUES (${ruleKey}, ${triple}, ${now}, ${!greylistIfFirst})
        ON CONFLICT (rule, key) DO NOTHING
        RETURNING 1`;
      if (inserted.length > 0) return { kind: "first", greylisted: greylistIfFirst } as const;
      const [row] = await tx<{ first_seen: number; passed: boolean }[]>`
        SELECT first_seen, passed FROM mailnest_fault_memory
        WHERE rule = ${ruleKey} AND key = ${triple} FOR UPDATE`;
      if (!row) return { kind: "first", greylisted: false } as const; // pruned in between: let it through
      if (row.passed) {
        await tx`UPDATE mailnest_fault_memory SET touched = now() WHERE rule = ${ruleKey} AND key = ${triple}`;
        return { kind: "passed" } as const;
      }
      const waitedMs = now - row.first_seen;
      const passedNow = waitedMs >= delayMs;
      await tx`
        UPDATE mailnest_fault_memory SET passed = ${passedNow}, touched = now()
        WHERE rule = ${ruleKey} AND key = ${triple}`;
      return { kind: "retried", waitedMs, passedNow } as const;
    });
  }

  async rate(
    ruleKey: string,
    key: string,
    now: number,
    windowMs: number,
    limit: number,
    refuseIfOver: boolean,
  ): Promise<boolean> {
    this.#pruneNowAndThen();
    return this.#sql.begin(async (tx) => {
      await tx`
        INSERT INTO mailnest_fault_memory (rule, key, first_seen) VALUES (${ruleKey}, ${key}, ${now})
        ON CONFLICT (rule, key) DO NOTHING`;
      const [row] = await tx<{ times: number[] }[]>`
        SELECT times FROM mailnest_fault_memory WHERE rule = ${ruleKey} AND key = ${key} FOR UPDATE`;
      const recent = (row?.times ?? []).filter((at) => at > now - windowMs);
      const refused = recent.length >= limit && refuseIfOver;
      if (!refused) recent.push(now);
      // Only the newest `limit` times can decide the next answer.
      const kept = recent.slice(-Math.max(1, Math.min(limit, 10_000)));
      await tx`
        UPDATE mailnest_fault_memory SET times = ${kept}::double precision[], touched = now()
        WHERE rule = ${ruleKey} AND key = ${key}`;
      return refused;
    });
  }

  forget(ruleKey: string): void {
    void this.#sql`DELETE FROM mailnest_fault_memory WHERE rule = ${ruleKey}`.catch(() => {});
  }

  #pruneNowAndThen(): void {
    this.#lookups += 1;
    if (this.#lookups % PRUNE_EVERY !== 0) return;
    void this.#sql`DELETE FROM mailnest_fault_memory WHERE touched < now() - ${KEEP}::interval`.catch(
      () => {},
    );
  }
}
