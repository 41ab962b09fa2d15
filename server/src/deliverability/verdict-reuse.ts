import type { MessageAuthentication } from "@mailnest/protocol";
import type { DnsZone } from "./dns-zone.js";
import { bodyHashingFieldIn, headerFieldsOf, headerSection } from "./header-fields.js";
import type { MessageVerifier, VerificationInput } from "./message-verifier.js";

/** Distinct envelopes whose verdicts are kept; the least recently used goes first. */
const DEFAULT_CAPACITY = 256;

/**
 * Reuses the verdicts of unsigned mail in `zone` mode. Without a DKIM-Signature or an ARC field,
 * verification reads nothing of a message but its From fields: SPF takes the connecting IP, HELO
 * and MAIL FROM, DMARC the From domain and those results, and every lookup is answered by the zone,
 * in memory, the same way until the zone changes. So a verdict is a function of (IP, HELO, MAIL
 * FROM, the From fields) and the zone, and an app's test suite, which sends the same way every time,
 * needs mailauth (and a verification thread's round trip) once per envelope instead of once per
 * message: on a 2-core machine that was about a fifth of the server's CPU per unsigned message and
 * the largest part of DATA's reply time after parsing.
 *
 * What is reused is mailauth's own earlier answer, never one made up here; `durationMs` is the
 * time this verification took. A reused verdict is not reused when:
 * - the message has a DKIM-Signature or an ARC field (their verdicts depend on the bytes signed);
 * - its header section is not plain CRLF lines of `name: value` fields, where another parser might
 *   read the From fields differently than this key does;
 * - the zone changed since the verification began (every change empties the store of verdicts);
 * - a verdict is `temperror` (a verification that ran out of time), or a TXT record it read uses
 *   an SPF macro, which can expand to the current time (`%{t}`).
 */
export function reusingVerdicts(
  verifier: MessageVerifier,
  zone: DnsZone,
  capacity = DEFAULT_CAPACITY,
): MessageVerifier {
  const verdicts = new Map<string, MessageAuthentication>();
  /** Counts zone changes, so a verification that straddles one is not kept. */
  let generation = 0;
  zone.onChange(() => {
    generation += 1;
    verdicts.clear();
  });

  return {
    resolver: verifier.resolver,
    async verify(input) {
      const started = performance.now();
      const key = verifier.resolver.mode === "zone" ? reuseKey(input) : null;
      if (key === null) return verifier.verify(input);
      const known = verdicts.get(key);
      if (known !== undefined) {
        verdicts.delete(key);
        verdicts.set(key, known);
        return { ...known, durationMs: Math.round((performance.now() - started) * 100) / 100 };
      }
      const at = generation;
      const verdict = await verifier.verify(input);
      if (at === generation && reusable(verdict)) {
        verdicts.set(key, deepFreeze(structuredClone(verdict)));
        if (verdicts.size > capacity) verdicts.delete(verdicts.keys().next().value as string);
      }
      return verdict;
    },
  };
}

/** What an unsigned message's verdicts depend on, or null when they may depend on more. */
export function reuseKey(input: VerificationInput): string | null {
  const section = headerSection(input.raw);
  const text = section.toString("latin1");
  if (bodyHashingFieldIn(text) || !plainHeaderSection(text)) return null;
  const from = headerFieldsOf(section)
    .filter((field) => field.name === "from")
    .map((field) => field.value);
  return JSON.stringify([input.ip, input.helo, input.mailFrom, from]);
}

/**
 * Every line ends in CRLF, has no other CR or LF, and is either the empty line that ends the
 * section, a continuation (starting with a space or tab), or `name:` with a printable name.
 */
const PLAIN_LINE = /^(?:[!-9;-~]+:[^\r\n]*|[ \t][^\r\n]*|)\r\n/;

function plainHeaderSection(text: string): boolean {
  let at = 0;
  while (at < text.length) {
    const line = PLAIN_LINE.exec(text.slice(at, text.indexOf("\n", at) + 1));
    if (line === null || line[0].length === 0) return false;
    at += line[0].length;
  }
  return true;
}

function reusable(verdict: MessageAuthentication): boolean {
  if (verdict.dkim.length > 0 || verdict.spf.result === "temperror" || verdict.dmarc.result === "temperror") {
    return false;
  }
  return !verdict.dnsLookups.some((lookup) => lookup.answers.some((answer) => /%\{t/i.test(answer)));
}

/** Frozen, so that no reader of one message's verdicts can change another's. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
