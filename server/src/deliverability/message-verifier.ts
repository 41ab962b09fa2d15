import type { MessageAuthentication } from "@mailnest/protocol";
import type { DnsResolver } from "./dns-resolver.js";

/**
 * What a verifier is and takes, apart from any verifier: the thread pool, the event loop's lazily
 * loaded verifier and the verdicts of an unfinished verification all name these, and none of them
 * may pull the verifier's code in (see `deliverability-lab.ts`).
 */

/** What the SMTP session knew about the message's origin. */
export interface VerificationInput {
  raw: Buffer;
  /** The connecting IP, or the one a trusted client named for it (XCLIENT). */
  ip: string;
  helo: string;
  /** MAIL FROM, "" for the null sender. */
  mailFrom: string;
}

export interface MessageVerifierOptions {
  resolver: DnsResolver;
  /** The receiving host named in Authentication-Results and in SPF reasons. */
  authservId: string;
  /**
   * The longest one message's verification may take; past it the verdicts are `temperror`, so
   * DNS can never hold the SMTP reply for long. Zone lookups answer from memory and never come near.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * Total time for system DNS lookups per message (`system`, `zone-then-system`): lookups after it
   * are timeouts, which make the methods that needed them `temperror`.
   * @default 2000
   */
  dnsBudgetMs?: number;
}

export interface MessageVerifier {
  readonly resolver: DnsResolver;
  /** Never rejects: a verification that cannot finish is reported as `temperror` verdicts. */
  verify(input: VerificationInput): Promise<MessageAuthentication>;
}

export const DEFAULT_VERIFY_TIMEOUT_MS = 5000;
export const DEFAULT_DNS_BUDGET_MS = 2000;
