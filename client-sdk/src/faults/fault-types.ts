/**
 * Fault injection types, mirrored from `server/src/faults/fault-rule.ts` and docs/api.md
 * ("Faults"); dates become `Date`s.
 */

/**
 * Where in the SMTP conversation a fault strikes:
 * - `connect`: instead of the greeting (then the connection is closed);
 * - `mail`, `rcpt`: the reply to MAIL FROM / to one RCPT TO;
 * - `data`: the reply after the final dot (the app has sent everything; nothing is stored);
 * - `disconnect`: the connection is dropped mid-DATA without a reply (nothing is stored).
 */
export type FaultStage = "connect" | "mail" | "rcpt" | "data" | "disconnect";

export const FAULT_STAGES: readonly FaultStage[] = ["connect", "mail", "rcpt", "data", "disconnect"];

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

export interface FaultRule {
  id: string;
  stage: FaultStage;
  /** null for `disconnect`. */
  code: number | null;
  message: string;
  inbox: string | null;
  from: string | null;
  /** null = no limit. */
  times: number | null;
  /** Injections left; the server removes a rule when it reaches 0. null = no limit. */
  remaining: number | null;
  probability: number;
  /** How many times it has fired. */
  triggered: number;
  /** `cli`: from the server's `--chaos` flag. */
  origin: "api" | "cli";
  createdAt: Date;
}

/** What the SMTP session knew when the fault struck. */
export interface FaultEnvelope {
  remoteAddress: string;
  heloName: string;
  /** null before MAIL FROM. */
  mailFrom: string | null;
  /** Recipients accepted so far. */
  rcptTo: string[];
  /** At `rcpt`: the recipient that met the fault. */
  recipient: string | null;
  authUser: string | null;
  tls: boolean;
}

/** One injected fault. */
export interface InjectedFault {
  sequence: number;
  at: Date;
  ruleId: string;
  stage: FaultStage;
  /** The reply code sent; null for `disconnect`. */
  code: number | null;
  message: string;
  /** The inboxes it concerned: the refused recipient at `rcpt`, every recipient at `data`/`disconnect`. */
  inboxes: string[];
  envelope: FaultEnvelope;
}

/** The JSON shapes, before dates are parsed. */
export type WireFaultRule = Omit<FaultRule, "createdAt"> & { createdAt: string };
export type WireInjectedFault = Omit<InjectedFault, "at"> & { at: string };

export function toFaultRule(wire: WireFaultRule): FaultRule {
  return { ...wire, createdAt: new Date(wire.createdAt) };
}

export function toInjectedFault(wire: WireInjectedFault): InjectedFault {
  return { ...wire, at: new Date(wire.at) };
}
