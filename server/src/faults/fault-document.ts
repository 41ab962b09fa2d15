import type { FaultLogEntry, FaultRule } from "./fault-rule.js";
import { upgradeSavedRule } from "./fault-rule.js";

/** `<dataDir>/faults.json`: small and read by people, so pretty-printed. */
export interface FaultDocument {
  version: 1;
  rules: FaultRule[];
  log: FaultLogEntry[];
  /** The last log sequence handed out, so sequences stay unique after the log is cleared. */
  logSequence: number;
}

export const FAULTS_FILE = "faults.json";

export function emptyFaultDocument(): FaultDocument {
  return { version: 1, rules: [], log: [], logSequence: 0 };
}

export function isFaultDocument(value: unknown): value is FaultDocument {
  if (typeof value !== "object" || value === null) return false;
  const document = value as Partial<FaultDocument>;
  return (
    document.version === 1 &&
    Array.isArray(document.rules) &&
    Array.isArray(document.log) &&
    typeof document.logSequence === "number"
  );
}

/** A document saved before rules had behaviours: its rules and entries get the fields that say "reply". */
export function upgradeFaultDocument(saved: FaultDocument): FaultDocument {
  return {
    ...saved,
    rules: saved.rules.map(upgradeSavedRule),
    log: saved.log.map((entry) => ({
      ...entry,
      behavior: entry.behavior ?? "reply",
      status: entry.status ?? null,
    })),
  };
}
