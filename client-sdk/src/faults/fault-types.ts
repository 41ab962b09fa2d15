/**
 * The SDK's side of fault injection (docs/api.md, "Faults"): the options its methods take, and the
 * protocol's rule and log entry with their dates as `Date`s.
 */
import type {
  FaultEnvelope,
  FaultLogEntry,
  FaultStage,
  FaultRule as WireFaultRule,
} from "@mailnest/protocol";

export type { FaultEnvelope, FaultStage, WireFaultRule };
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

/** What `mail.faults.add()` takes. */
export interface FaultRuleOptions extends Omit<InboxFaultOptions, "stage"> {
  stage: FaultStage;
  /** Only transactions to this inbox (`rcpt`, `data`, `disconnect`). */
  inbox?: string;
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
