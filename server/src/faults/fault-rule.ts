/**
 * The fault model: a rule makes the SMTP listener answer differently at a chosen stage of a
 * transaction: refuse with a code, greylist, rate-limit, answer late, drop the message
 * (docs/smtp.md, "Fault injection"). Plain JSON-safe data, kept in `<dataDir>/faults.json` by
 * `FaultStore`.
 */

import type { FaultBehavior, FaultRule, FaultStage } from "@mailnest/protocol";

export type {
  FaultBehavior,
  FaultEnvelope,
  FaultLogEntry,
  FaultRule,
  FaultStage,
  RateLimitScope,
} from "@mailnest/protocol";
export { FAULT_BEHAVIORS, FAULT_RULE_ID_PATTERN, FAULT_STAGES, RATE_LIMIT_SCOPES } from "@mailnest/protocol";

/** What a client asks for (API body, SDK, `--chaos`, `--greylist`, `--rate-limit`), validated and normalized. */
export type FaultRuleInput = Pick<
  FaultRule,
  | "behavior"
  | "stage"
  | "code"
  | "status"
  | "inbox"
  | "from"
  | "pattern"
  | "times"
  | "probability"
  | "delayMs"
  | "limit"
  | "windowMs"
  | "per"
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
export function defaultFaultMessage(
  rule: Pick<FaultRule, "behavior" | "code" | "per">,
  ruleId: string,
): string {
  const by = `Mailnest fault ${ruleId}`;
  switch (rule.behavior) {
    case "greylist":
      return `Greylisted, try again later (${by})`;
    case "rate-limit":
      return `Too many messages from this ${rule.per === "client" ? "address" : (rule.per ?? "sender")}, slow down (${by})`;
    case "connection-limit":
      return `Too many connections from your address (${by})`;
    case "mailbox-full":
      return `Mailbox full (${by})`;
    case "unknown-user":
      return `No such user here (${by})`;
    case "slow":
    case "tarpit":
    case "blackhole":
      return `${rule.behavior} (${by})`;
    case "reply":
      break;
  }
  if (rule.code === null) return `Connection dropped by ${by}`;
  return rule.code < 500
    ? `Temporary failure injected by ${by}, try again later`
    : `Permanent failure injected by ${by}`;
}

/** The behaviours' own stage, code and status when the request leaves them out. */
export const BEHAVIOR_DEFAULTS: Record<
  FaultBehavior,
  { stages: readonly FaultStage[]; stage: FaultStage | null; code: number | null; refuses: boolean }
> = {
  reply: {
    stages: ["connect", "mail", "rcpt", "data", "disconnect"],
    stage: null,
    code: null,
    refuses: true,
  },
  greylist: { stages: ["rcpt"], stage: "rcpt", code: 451, refuses: true },
  "rate-limit": { stages: ["mail"], stage: "mail", code: 421, refuses: true },
  "connection-limit": { stages: ["connect"], stage: "connect", code: 421, refuses: true },
  slow: { stages: ["connect", "mail", "rcpt", "data"], stage: null, code: null, refuses: false },
  tarpit: { stages: ["mail", "rcpt", "data"], stage: "rcpt", code: null, refuses: false },
  "mailbox-full": { stages: ["rcpt", "data"], stage: "rcpt", code: 452, refuses: true },
  "unknown-user": { stages: ["rcpt"], stage: "rcpt", code: 550, refuses: true },
  blackhole: { stages: ["data"], stage: "data", code: null, refuses: false },
};

/** The enhanced status code a behaviour sends when the rule names none; null = smtp-server's default. */
export function defaultStatus(behavior: FaultBehavior, code: number | null): string | null {
  switch (behavior) {
    case "greylist":
      return "4.7.1";
    case "rate-limit":
      return code === 421 ? "4.7.0" : "4.7.1";
    case "connection-limit":
      return "4.7.0";
    case "mailbox-full":
      return code !== null && code >= 500 ? "5.2.2" : "4.2.2";
    case "unknown-user":
      return code !== null && code < 500 ? "4.1.1" : "5.1.1";
    default:
      return null;
  }
}

/**
 * A rule as saved by an older Mailnest (before behaviours): the fields it lacks get the values that
 * mean what it did then.
 */
export function upgradeSavedRule(saved: FaultRule): FaultRule {
  return {
    ...saved,
    behavior: saved.behavior ?? "reply",
    status: saved.status ?? null,
    delayMs: saved.delayMs ?? null,
    limit: saved.limit ?? null,
    windowMs: saved.windowMs ?? null,
    per: saved.per ?? null,
    pattern: saved.pattern ?? null,
  };
}
