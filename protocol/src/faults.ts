/**
 * Fault injection (docs/api.md, "Faults"): a rule makes the SMTP listener answer a chosen code at
 * a chosen stage of a transaction instead of going on normally.
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

/** `flt_` + 12 random characters. */
export const FAULT_RULE_ID_PATTERN = /^flt_[a-z0-9]{12}$/;
/** The fault log keeps this many entries, oldest dropped first. */
export const MAX_FAULT_LOG_ENTRIES = 1000;
/** Longest reply text a rule may set. */
export const MAX_FAULT_MESSAGE_LENGTH = 200;

/** `POST /api/faults` and `POST /api/inboxes/{address}/faults`. */
export interface FaultRuleRequest {
  stage: FaultStage;
  /**
   * Reply code, 400–599: a 4xx tells the app to retry later, a 5xx to give up. Leave out for
   * `disconnect`, which answers nothing.
   * @minimum 400
   * @maximum 599
   */
  code?: number;
  /**
   * Reply text (printable ASCII, one line); the default names the rule.
   * @maxLength 200
   */
  message?: string;
  /**
   * Fail this many times, then deliver normally. Default 1, or no limit when `probability` is given.
   * @minimum 1
   */
  times?: number;
  /**
   * Chance (0–1) that each matching transaction fails.
   * @minimum 0
   * @maximum 1
   * @default 1
   */
  probability?: number;
  /** Only transactions with this MAIL FROM (not at `connect`). */
  from?: string;
  /** Only transactions to this inbox (`rcpt`, `data`, `disconnect`). Set by the inbox route itself. */
  inbox?: string;
  /** Same as `inbox`. */
  to?: string;
}

/** A rule as the server keeps it. */
export interface FaultRule {
  /** @pattern ^flt_[a-z0-9]{12}$ */
  id: string;
  stage: FaultStage;
  /** The reply code; null for `disconnect`. */
  code: number | null;
  message: string;
  /** Only transactions to this (normalized) inbox; null = any. */
  inbox: string | null;
  /** Only transactions from this (normalized) MAIL FROM; null = any. */
  from: string | null;
  /** Inject this many times, then resume normal delivery; null = no limit. */
  times: number | null;
  /** Injections left before the rule is used up (and removed); null = no limit. */
  remaining: number | null;
  /**
   * @minimum 0
   * @maximum 1
   */
  probability: number;
  /**
   * How many times the rule has fired.
   * @minimum 0
   */
  triggered: number;
  /** `cli` rules come from `--chaos` and are not saved: the flag adds them again on each start. */
  origin: "api" | "cli";
  /** @format date-time */
  createdAt: string;
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

/** One injected fault, as the fault log lists it. */
export interface FaultLogEntry {
  /**
   * Monotonic, never reused (survives restarts and clearing).
   * @minimum 1
   */
  sequence: number;
  /** @format date-time */
  at: string;
  /** @pattern ^flt_[a-z0-9]{12}$ */
  ruleId: string;
  stage: FaultStage;
  /** The reply code sent; null for `disconnect`. */
  code: number | null;
  message: string;
  /** Normalized inboxes the fault concerned: the refused recipient at `rcpt`, every recipient at `data`/`disconnect`. */
  inboxes: string[];
  envelope: FaultEnvelope;
}

export interface FaultRuleList {
  rules: FaultRule[];
}

export interface FaultLog {
  /** Oldest first. */
  entries: FaultLogEntry[];
}
