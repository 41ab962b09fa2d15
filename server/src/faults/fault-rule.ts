/**
 * The fault model: a rule makes the SMTP listener answer a chosen code at a chosen stage of a
 * transaction instead of going on normally (docs/api.md, "Faults"). Plain JSON-safe data, kept in
 * `<dataDir>/faults.json` by `FaultStore`.
 */

/**
 * Where in the SMTP conversation a fault strikes:
 * - `connect`: the greeting is replaced by the code and the connection closed (RFC 5321 section 3.1);
 * - `mail`, `rcpt`: the reply to MAIL FROM / to one RCPT TO;
 * - `data`: the reply after the final dot: the client has sent the whole message, nothing is stored;
 * - `disconnect`: the connection is dropped mid-DATA without any reply, nothing is stored.
 */
export const FAULT_STAGES = ["connect", "mail", "rcpt", "data", "disconnect"] as const;
export type FaultStage = (typeof FAULT_STAGES)[number];

/** What a client asks for (API body, SDK, `--chaos`), validated and normalized. */
export interface FaultRuleInput {
  stage: FaultStage;
  /** 400–599; null for `disconnect`, which answers nothing. */
  code: number | null;
  /** Reply text; null = a default naming the rule. */
  message: string | null;
  /** Only transactions to this (normalized) inbox; null = any. */
  inbox: string | null;
  /** Only transactions from this (normalized) MAIL FROM; null = any. */
  from: string | null;
  /** Inject this many times, then resume normal delivery; null = no limit. */
  times: number | null;
  /** Chance (0–1) that a matching transaction meets the fault. */
  probability: number;
}

export interface FaultRule extends FaultRuleInput {
  /** `flt_` + 12 random characters. */
  id: string;
  message: string;
  /** Injections left before the rule is used up (and removed); null = no limit. */
  remaining: number | null;
  /** How many times the rule has fired. */
  triggered: number;
  /** `cli` rules come from `--chaos` and are not saved: the flag adds them again on each start. */
  origin: "api" | "cli";
  createdAt: string;
}

/** `--chaos <stage>:<code>:<probability>`: a fault for every transaction, with a probability. */
export interface ChaosSpec {
  stage: FaultStage;
  code: number | null;
  probability: number;
}

/** What the SMTP session knew when a fault struck ("the envelope so far"). */
export interface FaultEnvelope {
  remoteAddress: string;
  heloName: string;
  /** null before MAIL FROM; "" for the null sender. */
  mailFrom: string | null;
  /** Recipients accepted so far (at `rcpt`, the ones before `recipient`). */
  rcptTo: string[];
  /** At `rcpt`: the RCPT TO that met the fault; otherwise null. */
  recipient: string | null;
  authUser: string | null;
  tls: boolean;
}

/** One injected fault, as `GET /api/faults/log` lists it. */
export interface FaultLogEntry {
  /** Monotonic, never reused (survives restarts and clearing). */
  sequence: number;
  /** ISO-8601. */
  at: string;
  ruleId: string;
  stage: FaultStage;
  /** The reply code sent; null for `disconnect`. */
  code: number | null;
  message: string;
  /** Normalized inboxes the fault concerned: the refused recipient at `rcpt`, every recipient at `data`/`disconnect`. */
  inboxes: string[];
  envelope: FaultEnvelope;
}

export const FAULT_RULE_ID_PATTERN = /^flt_[a-z0-9]{12}$/;

/** The reply text of a rule that did not name one: says it is injected, so nobody hunts a real outage. */
export function defaultFaultMessage(code: number | null, ruleId: string): string {
  if (code === null) return `Connection dropped by Mailnest fault ${ruleId}`;
  return code < 500
    ? `Temporary failure injected by Mailnest fault ${ruleId}, try again later`
    : `Permanent failure injected by Mailnest fault ${ruleId}`;
}
