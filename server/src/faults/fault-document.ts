import type { RuleDocument } from "../rules/rule-book.js";
import type { FaultLogEntry, FaultRule } from "./fault-rule.js";
import { upgradeSavedRule } from "./fault-rule.js";

/** `<dataDir>/faults.json`. */
export type FaultDocument = RuleDocument<FaultRule, FaultLogEntry>;

export const FAULTS_FILE = "faults.json";

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
