/**
 * The fault model: a rule makes the SMTP listener answer a chosen code at a chosen stage of a
 * transaction instead of going on normally (docs/api.md, "Faults"). Plain JSON-safe data, kept in
 * `<dataDir>/faults.json` by `FaultStore`.
 */

import type { FaultRule, FaultStage } from "@mailnest/protocol";

export type { FaultEnvelope, FaultLogEntry, FaultRule, FaultStage } from "@mailnest/protocol";
export { FAULT_RULE_ID_PATTERN, FAULT_STAGES } from "@mailnest/protocol";

/** What a client asks for (API body, SDK, `--chaos`), validated and normalized. */
export type FaultRuleInput = Pick<
  FaultRule,
  "stage" | "code" | "inbox" | "from" | "times" | "probability"
> & {
  /** Reply text; null = a default naming the rule. */
  message: string | null;
};

/** `--chaos <stage>:<code>:<probability>`: a fault for every transaction, with a probability. */
export interface ChaosSpec {
  stage: FaultStage;
  code: number | null;
  probability: number;
}

/** The reply text of a rule that did not name one: says it is injected, so nobody hunts a real outage. */
export function defaultFaultMessage(code: number | null, ruleId: string): string {
  if (code === null) return `Connection dropped by Mailnest fault ${ruleId}`;
  return code < 500
    ? `Temporary failure injected by Mailnest fault ${ruleId}, try again later`
    : `Permanent failure injected by Mailnest fault ${ruleId}`;
}
