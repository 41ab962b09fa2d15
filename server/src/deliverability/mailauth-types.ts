/**
 * What Mailnest passes to mailauth 4.13's parts and reads of their results, typed as far as it reads
 * them. `mailauth-parts.ts` loads the code; the types live apart so that the modules it loads
 * (`mailauth-direct-verify.ts`) can name them without importing it.
 */

export type MailauthResolver = (name: string, type: string) => Promise<unknown>;

/** One DKIM-Signature as `dkimVerify` reports it. */
export interface MailauthDkimResult {
  signingDomain?: string;
  selector?: string;
  /** The `b=` value, whitespace removed. */
  signature?: string;
  algo?: string;
  format?: string;
  modulusLength?: number;
  rr?: string;
  status: { result: string; comment?: string; policy?: Record<string, string> };
}

export interface MailauthArcSet {
  i: number;
  "arc-seal"?: { parsed?: Record<string, { value?: unknown } | undefined> };
}

export interface MailauthDkimVerification {
  headerFrom: string[];
  envelopeFrom: string | false;
  results: MailauthDkimResult[];
  /** Non-enumerable; what `arc()` takes. */
  arc?: { chain?: MailauthArcSet[] | false; error?: Error };
}

export interface MailauthArcResult {
  status: { result: string; comment?: string };
  i?: number | false;
}

/** What `spfVerify` resolves to: the term that matched, or an error result. */
export interface MailauthSpfOutcome {
  type?: string;
  val?: string;
  qualifier?: string;
  include?: MailauthSpfOutcome;
  error?: string;
  text?: string;
  rr?: string;
}

export interface MailauthSpfOptions {
  sender: string;
  ip: string;
  mta: string;
  helo: string;
  resolver: (name: string, type: string, options?: { clientIpType?: 4 | 6 }) => Promise<unknown>;
  createSubResolver: () => (
    name: string,
    type: string,
    options?: { clientIpType?: 4 | 6 },
  ) => Promise<unknown>;
}
