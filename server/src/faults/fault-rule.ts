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

/** The enhanced status code a behaviour sends when the rule names none; null = none is sent. */
export function defaultStatus(
  behavior: FaultBehavior,
  code: number | null,
  stage: FaultStage | null,
  message: string | null,
): string | null {
  switch (behavior) {
    case "reply":
      return code === null || stage === null ? null : replyStatus(stage, code, message);
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

/**
 * A plain reply rule's enhanced status code (RFC 3463) when it names none: what its reply code
 * means at its stage. smtp-server's own default goes by the code alone, which at some stages names
 * the wrong thing: 554 at RCPT became 5.6.0 (a media error), 550 at MAIL FROM 5.1.1 (a bad
 * destination mailbox). So a code's usual status is kept only where its subject fits the stage, with
 * the meanings RFC 5321 gives some codes at a stage, and is otherwise the class's undefined status
 * (4.0.0, 5.0.0). Named here, it is also what the fault log records.
 */
export function replyStatus(stage: FaultStage, code: number, message: string | null): string | null {
  const klass = Math.floor(code / 100);
  // The greeting comes before EHLO could announce ENHANCEDSTATUSCODES (RFC 2034): none is sent.
  if ((klass !== 4 && klass !== 5) || stage === "connect" || stage === "disconnect") return null;
  // A text that starts with a status of the reply's class says it already (and is sent as is).
  const own = message === null ? undefined : ENHANCED_PREFIX.exec(message)?.[1];
  if (own?.startsWith(`${klass}.`)) return own;
  const atStage = STAGE_MEANINGS[`${stage} ${code}`];
  if (atStage !== undefined) return atStage;
  const usual = USUAL_STATUS[code];
  return usual !== undefined && subjectFits(usual, stage) ? usual : `${klass}.0.0`;
}

const ENHANCED_PREFIX = /^([245]\.\d{1,3}\.\d{1,3}) /;

/** RFC 5321's meaning of a code at a stage, where it differs from the code's usual one. */
const STAGE_MEANINGS: Readonly<Record<string, string>> = {
  // 452 to MAIL FROM: insufficient system storage (RFC 5321 4.2.3), not a full mailbox.
  "mail 452": "4.3.1",
  // 553 to MAIL FROM: the sender's address is not allowed or malformed.
  "mail 553": "5.1.7",
};

/** A code's usual enhanced status (as smtp-server sends it). */
const USUAL_STATUS: Readonly<Record<number, string>> = {
  420: "4.4.2",
  421: "4.4.2",
  450: "4.2.1",
  451: "4.3.0",
  452: "4.2.2",
  454: "4.7.0",
  500: "5.5.2",
  501: "5.5.4",
  502: "5.5.1",
  503: "5.5.1",
  504: "5.5.4",
  521: "5.3.2",
  523: "5.3.4",
  530: "5.7.0",
  535: "5.7.8",
  538: "5.7.0",
  550: "5.1.1",
  551: "5.1.6",
  552: "5.2.2",
  553: "5.1.3",
  554: "5.6.0",
  555: "5.5.4",
  556: "5.1.10",
  557: "5.7.1",
  558: "5.2.3",
};

/**
 * Whether a status's subject (RFC 3463 section 3) is about what this stage handles: a destination
 * address only at RCPT, a sender's address only at MAIL, a mailbox at RCPT or DATA, the message's
 * content only at DATA; the system, network, protocol and security subjects anywhere.
 */
function subjectFits(status: string, stage: FaultStage): boolean {
  const [, subject, detail] = status.split(".").map(Number);
  switch (subject) {
    case 1:
      return detail === 7 || detail === 8 ? stage === "mail" : stage === "rcpt";
    case 2:
      return stage === "rcpt" || stage === "data";
    case 6:
      return stage === "data";
    default:
      return true;
  }
}
