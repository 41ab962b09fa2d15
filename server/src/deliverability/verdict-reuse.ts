import type { MessageAuthentication } from "@mailnest/protocol";
import { deepFreeze } from "../deep-freeze.js";
import type { DnsZone } from "./dns-zone.js";
import { bodyHashingFieldIn, headerSection } from "./header-fields.js";
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
 * message: on a 2-core machine that was about a quarter of the server's CPU per unsigned message
 * and the largest part of DATA's reply time after parsing.
 *
 * What is reused is mailauth's own earlier answer, never one made up here; `durationMs` is the
 * time this verification took. Nothing is kept or reused when:
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
        const oldest = verdicts.keys().next();
        if (verdicts.size > capacity && !oldest.done) verdicts.delete(oldest.value);
      }
      return verdict;
    },
  };
}

/**
 * One line of a plain header section, matched where the previous one ended: a field's first line
 * (its name captured), a continuation line, or the empty line that ends the section; each ends in
 * CRLF and holds no other CR or LF.
 */
const PLAIN_LINE = /(?:([!-9;-~]+):[^\r\n]*|[ \t][^\r\n]*|)\r\n/y;

/**
 * What an unsigned message's verdicts depend on (the envelope and the From fields as they were
 * sent, folding included), or null when they may depend on more: a DKIM-Signature or ARC field,
 * or a header section that is not plain CRLF lines of fields, where another parser might read the
 * From fields differently than this one.
 */
export function reuseKey(input: VerificationInput): string | null {
  const text = headerSection(input.raw).toString("latin1");
  if (bodyHashingFieldIn(text)) return null;
  const from: string[] = [];
  let field: string | null = null;
  for (let at = 0; at < text.length; ) {
    PLAIN_LINE.lastIndex = at;
    const line = PLAIN_LINE.exec(text);
    if (line === null) return null;
    const end = at + line[0].length;
    const name = line[1];
    if (name !== undefined) {
      field = name.toLowerCase();
      if (field === "from") from.push(text.slice(at, end));
    } else if (line[0].length > 2) {
      if (field === null) return null;
      if (field === "from") from[from.length - 1] += text.slice(at, end);
    }
    at = end;
  }
  return JSON.stringify([input.ip, input.helo, input.mailFrom, from]);
}

function reusable(verdict: MessageAuthentication): boolean {
  if (verdict.dkim.length > 0 || verdict.spf.result === "temperror" || verdict.dmarc.result === "temperror") {
    return false;
  }
  return !verdict.dnsLookups.some((lookup) => lookup.answers.some((answer) => /%\{t/i.test(answer)));
}
