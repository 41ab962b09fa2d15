import { normalizeAddress } from "@mailnest/protocol";
import type { FaultEnvelope, FaultRule, FaultStage } from "./fault-rule.js";

/** A point in an SMTP transaction where a fault may strike. */
export interface FaultOccasion {
  stage: FaultStage;
  envelope: FaultEnvelope;
}

/**
 * The normalized inboxes an occasion concerns: the recipient being offered at `rcpt`, every
 * accepted recipient at `data` and `disconnect`, none before that.
 */
export function occasionInboxes({ stage, envelope }: FaultOccasion): string[] {
  if (stage === "rcpt") return envelope.recipient === null ? [] : [normalizeAddress(envelope.recipient)];
  if (stage === "data" || stage === "disconnect") {
    return [...new Set(envelope.rcptTo.map(normalizeAddress))];
  }
  return [];
}

/** Whether a rule targets this occasion (its probability is rolled separately). */
export function ruleMatches(rule: FaultRule, occasion: FaultOccasion, inboxes: readonly string[]): boolean {
  if (rule.stage !== occasion.stage) return false;
  if (rule.inbox !== null && !inboxes.includes(rule.inbox)) return false;
  if (rule.from !== null) {
    const sender = occasion.envelope.mailFrom;
    if (sender === null || sender === "" || normalizeAddress(sender) !== rule.from) return false;
  }
  return true;
}

/** Rules aimed at an inbox or a sender go before global (chaos) ones; otherwise oldest first. */
export function byPrecedence(a: FaultRule, b: FaultRule): number {
  const targeted = (rule: FaultRule) => (rule.inbox !== null || rule.from !== null ? 0 : 1);
  return targeted(a) - targeted(b);
}
