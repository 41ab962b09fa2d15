import type { DnsRecord } from "@mailnest/protocol";
import type { DnsZone, ZoneChange } from "./dns-zone.js";
import { bodyHashingFieldIn, headerSection } from "./header-fields.js";
import type { MessageVerifier } from "./message-verifier.js";

/**
 * In `zone` mode, sends a message with a DKIM-Signature or an ARC field to `threads` and one without
 * to `eventLoop`.
 *
 * Without those fields verification reads only the header section and every lookup answers from
 * memory: about 0.1–0.2 ms of CPU on a warm event loop, and once per envelope where verdicts are
 * reused (verdict-reuse.ts), against a thread's copy and round trip. A thread, though, holds about
 * 17 MB resident for as long as it runs: a ninth of a sandbox with 50,000 messages stored, kept for
 * the crypto of signatures that most sandboxes never receive (docs/performance.md). So threads are
 * for what hashes the body and checks signatures, and a sandbox whose mail is unsigned starts none.
 *
 * In the other modes lookups go to real DNS, whose answers no verdict is reused from, and every
 * message goes to `threads` as before.
 */
export function signedMailOnThreads(threads: MessageVerifier, eventLoop: MessageVerifier): MessageVerifier {
  return {
    resolver: threads.resolver,
    verify(input) {
      const header = headerSection(input.raw).toString("latin1");
      return bodyHashingFieldIn(header) ? threads.verify(input) : eventLoop.verify(input);
    },
  };
}

/** A record DKIM or ARC verification reads a public key from. */
function isSigningKey(record: DnsRecord): boolean {
  return record.type === "TXT" && record.name.includes("._domainkey.");
}

/**
 * Whether `zone` publishes a signing key, so that signed mail, and with it a thread's work, is to be
 * expected: threads start ahead of the first message only then, or once a change publishes one.
 */
export function holdsSigningKeys(zone: DnsZone): boolean {
  return zone.list().some(isSigningKey);
}

/** Whether `change` publishes a signing key (an API call, a zone file, the shared zone's copy). */
export function publishesSigningKey(change: ZoneChange): boolean {
  if (change.kind === "add") return isSigningKey(change.record);
  if (change.kind === "replace") return change.records.some(isSigningKey);
  return false;
}
