/**
 * The SDK's side of fault injection (docs/api.md, "Faults"): the options its methods take, and the
 * protocol's rule and log entry with their dates as `Date`s.
 */
import type {
  FaultBehavior,
  FaultEnvelope,
  FaultLogEntry,
  FaultStage,
  RateLimitScope,
  FaultRule as WireFaultRule,
} from "@mailnest/protocol";

export type { FaultBehavior, FaultEnvelope, FaultStage, RateLimitScope, WireFaultRule };
export type WireInjectedFault = FaultLogEntry;

/** What `inbox.failNext()` takes: the inbox is the handle's. */
export interface InboxFaultOptions {
  /** `rcpt`, `data` or `disconnect` (nothing names an inbox earlier). */
  stage: FaultStage;
  /** 400–599: a 4xx tells the app to retry later, a 5xx to give up. Leave out for `disconnect`. */
  code?: number;
  /** The reply text (printable ASCII, one line). @default a text naming the rule */
  message?: string;
  /** Fail this many times, then deliver normally. @default 1, or no limit when `probability` is given */
  times?: number;
  /** Chance (0–1) that each matching transaction fails. @default 1 */
  probability?: number;
  /** Only mail from this envelope sender (MAIL FROM). */
  from?: string;
}

/**
 * What `mail.faults.add()` takes: the API's rule body (docs/smtp.md, "Fault injection"). The
 * helpers (`mail.greylist()`, `mail.rateLimit()`, `inbox.greylist()`, …) write it for you.
 */
export interface FaultRuleOptions extends Omit<InboxFaultOptions, "stage"> {
  /** @default "reply" */
  behavior?: FaultBehavior;
  /** Required for `reply` and `slow`; the other behaviours have their own. */
  stage?: FaultStage;
  /** Only transactions to this inbox (`rcpt`, `data`, `disconnect`). */
  inbox?: string;
  /** Only recipients matching this pattern (`*` any characters, `?` one), e.g. "old-*@app.test". */
  pattern?: string;
  /** The enhanced status code (RFC 3463) in front of the reply text, e.g. "4.7.1". */
  status?: string;
  /** `greylist`: the retry delay; `slow`: how late the reply comes; `tarpit`: the added delay per reply. */
  delayMs?: number;
  /** `rate-limit`: messages per window; `connection-limit`: parallel connections per client. */
  limit?: number;
  /** `rate-limit`: the window in ms. */
  windowMs?: number;
  /** `rate-limit`: what is counted. */
  per?: RateLimitScope;
}

/** `inbox.greylist()`, `mail.greylist()`. */
export interface GreylistOptions {
  /** Milliseconds a client must wait before its retry is accepted (RFC 6647). */
  delay: number;
  /** Only mail from this sender. */
  from?: string;
  /** Chance (0–1) that a new (client, sender, recipient) triple is greylisted. @default 1 */
  probability?: number;
}

/** `mail.rateLimit()`. */
export interface RateLimitOptions {
  /** Messages accepted per window; the next gets the refusal. */
  max: number;
  /** The sliding window, in ms. @default 60000 */
  window?: number;
  /** @default "sender" */
  per?: RateLimitScope;
  /** 421 (4.7.0, the connection is closed) or another 4xx such as 451 (4.7.1). @default 421 */
  code?: number;
}

/** `mail.faults.chaos()`: every transaction, with a probability, until cleared. */
export interface ChaosOptions {
  stage: FaultStage;
  code?: number;
  probability: number;
  message?: string;
}

/** A rule as the server keeps it, `createdAt` as a `Date`. */
export type FaultRule = Omit<WireFaultRule, "createdAt"> & { createdAt: Date };

/** One injected fault, `at` as a `Date`. */
export type InjectedFault = Omit<FaultLogEntry, "at"> & { at: Date };

export function toFaultRule(wire: WireFaultRule): FaultRule {
  return { ...wire, createdAt: new Date(wire.createdAt) };
}

export function toInjectedFault(wire: WireInjectedFault): InjectedFault {
  return { ...wire, at: new Date(wire.at) };
}
