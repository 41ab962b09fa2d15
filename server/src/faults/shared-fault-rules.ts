import type { FaultLogEntry, FaultRule } from "./fault-rule.js";
import type { SharedFaultMemory } from "./shared-fault-memory.js";

/** A log entry before the shared log gave it its sequence. */
export type FaultLogRecord = Omit<FaultLogEntry, "sequence">;

/**
 * Fault rules and log kept outside this process, shared by every instance of one sandbox
 * (PostgreSQL: `store/postgres/postgres-fault-rules.ts`). `FaultStore` keeps its `--chaos`,
 * `--greylist` and `--rate-limit` rules to itself and hands the API's rules and every log entry
 * to this.
 */
export interface SharedFaultRules {
  /**
   * A copy of the shared rules in the order they were added, kept up to date as any instance
   * changes them, so that "does a rule match this command" needs no round trip. Its counters may
   * lag; `consume` is what decides.
   */
  readonly rules: readonly FaultRule[];
  /** Resolves once the rule is stored and in `rules`. */
  insert(rule: FaultRule): Promise<void>;
  /** The rules as stored now (exact counters). */
  list(): Promise<FaultRule[]>;
  delete(id: string): Promise<boolean>;
  /** Deletes every shared rule; returns their ids. */
  clear(): Promise<string[]>;
  /**
   * Takes one use of a rule, atomically across instances. Null when it is gone or used up (the
   * caller must not inject it). Rejects when the store cannot be reached.
   */
  consume(id: string): Promise<FaultRule | null>;
  appendLog(entry: FaultLogRecord): Promise<FaultLogEntry>;
  log(): Promise<FaultLogEntry[]>;
  clearLog(): Promise<number>;
  /** What greylisting and rate limits remember, for every instance; absent: each instance's own. */
  readonly memory?: SharedFaultMemory;
  close(): Promise<void>;
}
