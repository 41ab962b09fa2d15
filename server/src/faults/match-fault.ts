import { normalizeAddress } from "@mailnest/protocol";
import { matchesAddressPattern } from "../rules/address-pattern.js";
import type { FaultEnvelope, FaultRule, FaultStage } from "./fault-rule.js";

/** A point in an SMTP transaction where a fault may strike. */
export interface FaultOccasion {
  stage: FaultStage;
  envelope: FaultEnvelope;
  /**
   * The SMTP connection (smtp-server's session id), for what is counted per connection (rate
   * limits `per: "connection"`, tarpits). Absent: the client address stands in for it.
   */
  connectionId?: string;
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
  const { pattern } = rule;
  if (pattern !== null && !inboxes.some((inbox) => matchesAddressPattern(pattern, inbox))) return false;
  if (rule.from !== null) {
    const sender = occasion.envelope.mailFrom;
    if (sender === null || sender === "" || normalizeAddress(sender) !== rule.from) return false;
  }
  return true;
}

/** Rules aimed at an inbox, a pattern or a sender go before global (chaos) ones; otherwise oldest first. */
export function byPrecedence(a: FaultRule, b: FaultRule): number {
  const targeted = (rule: FaultRule) =>
    rule.inbox !== null || rule.pattern !== null || rule.from !== null ? 0 : 1;
  return targeted(a) - targeted(b);
}
