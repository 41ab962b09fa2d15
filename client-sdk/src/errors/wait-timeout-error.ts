import { isBrandedError } from "./brand.js";
import { MailnestError } from "./mailnest-error.js";

/** A message the wait saw (or the inbox held) that did not count, and why. */
export interface NearMiss {
  id: string;
  sequence: number;
  subject: string;
  /** The From address as shown (`Name <address>`), or the envelope sender when there is no From header. */
  from: string;
  receivedAt: string;
  /** Why it did not count, e.g. `subject "Reset" does not match /Welcome/`, `arrived before this wait was armed`. */
  reasons: string[];
}

export interface WaitTimeoutDetails {
  timeout: number;
  /** The inbox waited on, or null for a wait across all inboxes. */
  inbox: string | null;
  /** The filter as written in the message, e.g. `subject /Welcome/, from "noreply@"`; "" for none. */
  filter: string;
  /** How many messages the wait asked for. */
  count: number;
  /** How many matching messages it had found when the time ran out (fewer than `count`). */
  matched: number;
  /** How many messages the inbox (or, for a wait across inboxes, the store) held; null when unknown. */
  inboxCount: number | null;
  /** Closest misses first, at most five. */
  nearMisses: NearMiss[];
}

/** A wait ran out of time. The message says what was awaited and what the inbox held instead. */
export class WaitTimeoutError extends MailnestError {
  override name = "WaitTimeoutError";
  readonly timeout: number;
  readonly inbox: string | null;
  readonly filter: string;
  readonly count: number;
  readonly matched: number;
  readonly inboxCount: number | null;
  readonly nearMisses: readonly NearMiss[];

  constructor(message: string, details: WaitTimeoutDetails) {
    super(message);
    this.timeout = details.timeout;
    this.inbox = details.inbox;
    this.filter = details.filter;
    this.count = details.count;
    this.matched = details.matched;
    this.inboxCount = details.inboxCount;
    this.nearMisses = details.nearMisses;
  }
}

export function isWaitTimeoutError(value: unknown): value is WaitTimeoutError {
  return isBrandedError(value, ["WaitTimeoutError"]);
}
