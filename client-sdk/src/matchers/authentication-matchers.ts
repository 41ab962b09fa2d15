import type { DkimSignatureVerdict, DnsLookup, MessageAuthentication } from "@mailnest/protocol";
import { describeValue } from "../util/describe.js";

/**
 * `toPassDkim`, `toPassSpf`, `toPassDmarc`: the verdicts the server stored with a message
 * (`message.auth`), asserted. A failure says why in the server's words and lists the DNS records
 * that were consulted, which is usually where the mistake is.
 */

export interface DkimExpectation {
  /** The signing domain (`d=`) that must pass. */
  domain?: string;
  /** The selector (`s=`) that must pass. */
  selector?: string;
}

interface AuthenticatedMessage {
  sequence: number;
  subject: string;
  auth: MessageAuthentication | null;
}

export interface AuthenticationOutcome {
  pass: boolean;
  /** What to print: why it passed (for `.not`) or why it did not. */
  explain: () => string;
}

export function dkimOutcome(received: unknown, expected: DkimExpectation = {}): AuthenticationOutcome {
  const { message, auth } = authenticated(received, "toPassDkim");
  if (typeof expected !== "object" || expected === null) {
    throw new TypeError(`toPassDkim expects { domain?, selector? }; got ${describeValue(expected)}`);
  }
  const domain = expected.domain?.toLowerCase().replace(/\.$/, "");
  const selector = expected.selector?.toLowerCase();
  const wanted = (signature: DkimSignatureVerdict) =>
    (domain === undefined || signature.domain === domain) &&
    (selector === undefined || signature.selector === selector);
  const passing = auth.dkim.find((signature) => signature.result === "pass" && wanted(signature));
  const what = `DKIM${domain ? ` for d=${domain}` : ""}${selector ? ` s=${selector}` : ""}`;
  return {
    pass: passing !== undefined,
    explain: () =>
      passing
        ? `Expected ${label(message)} not to pass ${what}, but ${describeSignature(passing)}`
        : `Expected ${label(message)} to pass ${what}; ${
            auth.dkim.length === 0
              ? "it is not signed (no DKIM-Signature header)"
              : `its signatures:\n${bullets(auth.dkim.map(describeSignature))}`
          }${lookups(auth.dnsLookups, (lookup) => lookup.name.includes("._domainkey."))}`,
  };
}

export function spfOutcome(received: unknown): AuthenticationOutcome {
  const { message, auth } = authenticated(received, "toPassSpf");
  const { spf } = auth;
  const pass = spf.result === "pass";
  const identity = spf.identity === "mailfrom" ? `MAIL FROM ${spf.mailFrom}` : `HELO ${spf.helo}`;
  return {
    pass,
    explain: () =>
      `Expected ${label(message)} ${pass ? "not " : ""}to pass SPF; it is spf=${spf.result} for ${spf.clientIp} (${identity}): ${spf.reason}` +
      `${spf.record ? `\nSPF record of ${spf.domain}: ${spf.record}` : ""}` +
      `\n${spf.lookups} DNS lookup(s), ${spf.voidLookups} void (at most 10 and 2)` +
      lookups(
        auth.dnsLookups,
        (lookup) => !lookup.name.includes("._domainkey.") && !lookup.name.startsWith("_dmarc."),
      ),
  };
}

export function dmarcOutcome(received: unknown): AuthenticationOutcome {
  const { message, auth } = authenticated(received, "toPassDmarc");
  const { dmarc } = auth;
  const pass = dmarc.result === "pass";
  return {
    pass,
    explain: () =>
      `Expected ${label(message)} ${pass ? "not " : ""}to pass DMARC; it is dmarc=${dmarc.result}: ${dmarc.reason}` +
      `${dmarc.record ? `\n${dmarc.recordName}: ${dmarc.record}` : ""}` +
      `\nDKIM: ${auth.dkim.length === 0 ? "not signed" : auth.dkim.map((signature) => `d=${signature.domain} ${signature.result}`).join(", ")}` +
      `\nSPF: ${auth.spf.result} for ${auth.spf.domain}` +
      lookups(auth.dnsLookups, () => true),
  };
}

function authenticated(
  received: unknown,
  matcher: string,
): { message: AuthenticatedMessage; auth: MessageAuthentication } {
  const candidate = received as Partial<AuthenticatedMessage> | null;
  if (typeof candidate !== "object" || candidate === null || !("auth" in candidate)) {
    throw new TypeError(
      `${matcher} expects a Message (from a wait such as inbox.waitForMessage()); got ${describeValue(received)}`,
    );
  }
  const message = candidate as AuthenticatedMessage;
  if (message.auth === null) {
    throw new TypeError(
      `${matcher}: ${label(message)} has no verdicts: the server was not verifying when it arrived (--verify-auth off)`,
    );
  }
  return { message, auth: message.auth };
}

function describeSignature(signature: DkimSignatureVerdict): string {
  const head = `d=${signature.domain} s=${signature.selector} ${signature.algorithm}: ${signature.result}`;
  return signature.reason ? `${head} (${signature.reason})` : head;
}

function lookups(all: readonly DnsLookup[], relevant: (lookup: DnsLookup) => boolean): string {
  const shown = all.filter(relevant).map((lookup) => {
    const answer =
      lookup.error ??
      (lookup.answers.length === 0
        ? "no answer"
        : lookup.answers.map((text) => JSON.stringify(text)).join(", "));
    return `${lookup.type} ${lookup.name} (${lookup.source}) → ${answer}`;
  });
  return shown.length === 0 ? "" : `\nDNS records consulted:\n${bullets(shown)}`;
}

function label(message: AuthenticatedMessage): string {
  return `message #${message.sequence} ${JSON.stringify(message.subject)}`;
}

function bullets(lines: readonly string[]): string {
  return lines.map((line) => `  - ${line}`).join("\n");
}
