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

/**
 * What a rule does when it fires (docs/smtp.md, "A receiving side like the real internet"):
 * - `reply`: answers `code` at `stage` (the plain fault);
 * - `greylist` (RFC 6647, at `rcpt`): the first attempt of a (client IP, sender, recipient) triple
 *   gets `451 4.7.1`; a retry at least `delayMs` later is accepted, an earlier one is refused again;
 * - `rate-limit` (at `mail`): more than `limit` messages per `windowMs` `per` sender, connection or
 *   client IP get `421 4.7.0` (closing the connection) or `451 4.7.1`;
 * - `connection-limit` (at `connect`): more than `limit` parallel connections from one client IP get `421 4.7.0`;
 * - `slow`: the normal reply at `stage` comes `delayMs` late (to test client timeouts);
 * - `tarpit`: every reply of a matching connection from `stage` on comes late, `delayMs` more each time;
 * - `mailbox-full` (at `rcpt` or `data`): `452 4.2.2`, or `552 5.2.2` with code 552;
 * - `unknown-user` (at `rcpt`): `550 5.1.1` for recipients matching `pattern` (or `inbox`);
 * - `blackhole` (at `data`): the message is answered 250 and then dropped: never stored or listed.
 */
export const FAULT_BEHAVIORS = [
  "reply",
  "greylist",
  "rate-limit",
  "connection-limit",
  "slow",
  "tarpit",
  "mailbox-full",
  "unknown-user",
  "blackhole",
] as const;
export type FaultBehavior = (typeof FAULT_BEHAVIORS)[number];

/** What a `rate-limit` counts by: the MAIL FROM, the SMTP connection, or the client's IP address. */
export const RATE_LIMIT_SCOPES = ["sender", "connection", "client"] as const;
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];

/** Longest `delayMs` a rule may set (10 minutes): past the client's timeout, a longer wait tests nothing more. */
export const MAX_FAULT_DELAY_MS = 10 * 60 * 1000;
/** Longest rate-limit window (1 day). */
export const MAX_FAULT_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Largest `limit` of a rate or connection limit. */
export const MAX_FAULT_LIMIT = 100_000;
/** Longest recipient `pattern`. */
export const MAX_FAULT_PATTERN_LENGTH = 320;
/** An RFC 3463 enhanced status code: class.subject.detail. */
export const ENHANCED_STATUS_PATTERN = /^[245]\.[0-9]{1,3}\.[0-9]{1,3}$/;

/** `flt_` + 12 random characters. */
export const FAULT_RULE_ID_PATTERN = /^flt_[a-z0-9]{12}$/;
/** The fault log keeps this many entries, oldest dropped first. */
export const MAX_FAULT_LOG_ENTRIES = 1000;
/** Longest reply text a rule may set. */
export const MAX_FAULT_MESSAGE_LENGTH = 200;

/** `POST /api/faults` and `POST /api/inboxes/{address}/faults`. */
export interface FaultRuleRequest {
  /** @default "reply" */
  behavior?: FaultBehavior;
  /** Required for `reply` and `slow`; every other behaviour has its own stage (and accepts only that). */
  stage?: FaultStage;
  /**
   * Reply code, 400–599: a 4xx tells the app to retry later, a 5xx to give up. Leave out for
   * `disconnect`, which answers nothing, and for `slow`, `tarpit` and `blackhole`, which refuse nothing.
   * Defaults: `greylist` 451, `rate-limit` and `connection-limit` 421, `mailbox-full` 452,
   * `unknown-user` 550.
   * @minimum 400
   * @maximum 599
   */
  code?: number;
  /**
   * The enhanced status code (RFC 3463) sent in front of the text, of the code's class, e.g. "4.7.1".
   * Defaults: `greylist` 4.7.1, `rate-limit` 4.7.0 (4.7.1 with 451), `connection-limit` 4.7.0,
   * `mailbox-full` 4.2.2 / 5.2.2, `unknown-user` 5.1.1; for `reply`, the one smtp-server derives
   * from the code.
   * @pattern ^[245]\.[0-9]{1,3}\.[0-9]{1,3}$
   */
  status?: string;
  /**
   * `greylist`: how long a client must wait before its retry is accepted (default 300000);
   * `slow`: how late the reply comes; `tarpit`: how much later each further reply comes. At most 600000.
   * @minimum 0
   * @maximum 600000
   */
  delayMs?: number;
  /**
   * `rate-limit`: messages accepted per window; `connection-limit`: parallel connections from one client.
   * @minimum 1
   * @maximum 100000
   */
  limit?: number;
  /**
   * `rate-limit`: the sliding window, in ms (default 60000; at most one day).
   * @minimum 1
   * @maximum 86400000
   */
  windowMs?: number;
  /** `rate-limit`: what is counted. @default "sender" */
  per?: RateLimitScope;
  /**
   * Only recipients matching this pattern: `*` stands for any characters, `?` for one; compared
   * with the normalized address, e.g. `old-*@app.test`. At `rcpt`, `data` and `disconnect`.
   * @maxLength 320
   */
  pattern?: string;
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
  behavior: FaultBehavior;
  stage: FaultStage;
  /** The reply code; null for `disconnect`, `slow`, `tarpit` and `blackhole`. */
  code: number | null;
  /** The enhanced status code sent in front of `message`; null = smtp-server's default for the code. */
  status: string | null;
  message: string;
  /** `greylist`, `slow`, `tarpit`: see `FaultRuleRequest.delayMs`; null otherwise. */
  delayMs: number | null;
  /** `rate-limit`, `connection-limit`; null otherwise. */
  limit: number | null;
  /** `rate-limit`; null otherwise. */
  windowMs: number | null;
  /** `rate-limit`; null otherwise. */
  per: RateLimitScope | null;
  /** Only recipients matching this pattern (normalized, `*` and `?` wildcards); null = any. */
  pattern: string | null;
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
  /** The rule's behaviour ("reply" for entries written before behaviours existed). */
  behavior: FaultBehavior;
  stage: FaultStage;
  /**
   * The reply code sent: the refusal; 250 for a `blackhole` message and for the retry a `greylist`
   * let through; null when the fault sent none of its own (`disconnect`, or the normal reply sent
   * late by `slow` and `tarpit`).
   */
  code: number | null;
  /** The enhanced status code sent in front of `message`, when the rule set one. */
  status: string | null;
  /** The reply text, or what happened ("reply delayed by 200 ms", "accepted and dropped"). */
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
