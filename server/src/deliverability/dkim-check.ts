import {
  type DkimResult,
  type DkimSignatureVerdict,
  type DnsMode,
  MAX_DKIM_SIGNATURES_VERIFIED,
  MIN_DKIM_KEY_BITS,
} from "@mailnest/protocol";
import { dkimKeyName } from "./dkim-keys.js";
import type { DnsLookupSession } from "./dns-lookup-session.js";
import type { HeaderField } from "./header-fields.js";
import type { MailauthDkimResult } from "./mailauth-types.js";
import { parseTagList } from "./tag-list.js";

const ALGORITHMS = new Set(["rsa-sha256", "rsa-sha1", "ed25519-sha256"]);
const CANONICALIZATIONS = new Set(["simple", "relaxed"]);

/**
 * One verdict per DKIM-Signature field, in header order, from what mailauth's `dkimVerify`
 * reported. Where mailauth's result words differ from RFC 8601 section 2.7.1 they are corrected
 * here (mailauth 4.13 says `neutral` for most of these):
 * - a body hash that does not match is `fail` (the message was changed after signing);
 * - no key, a revoked key, an unreadable key or an expired signature are `permerror`;
 * - an `rsa-sha1` signature that verifies is `permerror` (RFC 8301 section 3.1: not valid);
 * - signatures mailauth skips silently (unknown algorithm, missing tags) are `permerror` too;
 * - what RFC 6376 says to refuse before any cryptography, and mailauth passes, is `permerror`: a
 *   signature that does not cover From, an `i=` outside `d=`, a key whose `h=` excludes the
 *   signature's hash, whose `s=` is not for email, or whose `t=s` excludes a subdomain `i=`;
 * - a pass with a key in testing mode (`t=y`) says so in its reason.
 * `aligned` is filled in by the DMARC step, which knows the From domain and the record's `adkim`.
 */
export function dkimVerdicts(
  signatures: readonly HeaderField[],
  results: readonly MailauthDkimResult[],
  session: DnsLookupSession,
  mode: DnsMode,
): DkimSignatureVerdict[] {
  // mailauth reports verified signatures in header order, each with its b= value.
  const bySignature = new Map<string, MailauthDkimResult[]>();
  for (const result of results) {
    if (result.signature === undefined) continue;
    const queue = bySignature.get(result.signature) ?? [];
    queue.push(result);
    bySignature.set(result.signature, queue);
  }
  return signatures.map((field, index) => {
    const tags = parseTagList(field.value);
    const domain = (tags.get("d") ?? "").toLowerCase();
    const selector = (tags.get("s") ?? "").toLowerCase();
    const algorithm = (tags.get("a") ?? "").toLowerCase();
    const verdict: DkimSignatureVerdict = {
      result: "permerror",
      domain,
      selector,
      algorithm,
      canonicalization: (tags.get("c") ?? "simple/simple").toLowerCase(),
      signedHeaders: (tags.get("h") ?? "")
        .split(":")
        .map((name) => name.trim().toLowerCase())
        .filter((name) => name !== ""),
      reason: null,
      keyBits: null,
      keyRecord: null,
      aligned: false,
    };
    if (index >= MAX_DKIM_SIGNATURES_VERIFIED) {
      return {
        ...verdict,
        result: "policy",
        reason: `not verified: Mailnest verifies the first ${MAX_DKIM_SIGNATURES_VERIFIED} DKIM signatures of a message`,
      };
    }
    const result = bySignature.get(tags.get("b") ?? "")?.shift();
    if (!result) return { ...verdict, reason: unverifiable(tags) };
    const keyName = dkimKeyName(selector, domain);
    const key = session.keyAt(keyName);
    const keyRecord =
      result.rr ?? session.lookups.find((lookup) => lookup.name === keyName)?.answers[0] ?? null;
    const keyBits = result.modulusLength ?? (key?.ok ? key.bits : (key?.bits ?? null));
    const keyTags = keyRecord === null ? null : parseTagList(keyRecord);
    const identity = identityDomain(tags);
    // RFC 6376's own refusals come first: mailauth 4.13 verifies these signatures and says `pass`.
    const refusal =
      signatureProblem(verdict.signedHeaders, identity, domain) ??
      keyProblem(keyTags, { algorithm, identity, domain, keyName });
    if (refusal !== null) return { ...verdict, result: "permerror", reason: refusal, keyBits, keyRecord };
    const { result: word, reason } = interpret(result, {
      selector,
      domain,
      keyName,
      algorithm,
      keyBits,
      session,
      mode,
    });
    // A pass can still be one a receiver discounts: say why, where the RFC names the reason.
    const notes: string[] = [];
    if (word === "pass" && tagValues(keyTags, "t")?.includes("y")) {
      notes.push(
        `the key at ${keyName} is in testing mode (t=y): receivers may treat the message as unsigned (RFC 6376 section 3.6.1)`,
      );
    }
    const signedLength = tags.get("l");
    if (word === "pass" && signedLength !== undefined) {
      notes.push(
        `the signature covers only the first ${signedLength} bytes of the body (l=): anything after them is unsigned and could have been added on the way (RFC 6376 section 8.2)`,
      );
    }
    return {
      ...verdict,
      result: word,
      reason: notes.length > 0 ? notes.join("; ") : reason,
      keyBits,
      keyRecord,
    };
  });
}

/** The domain of `i=`, or null when the signature has none (it then defaults to `@d=`). */
function identityDomain(tags: Map<string, string>): string | null {
  const identity = tags.get("i");
  if (identity === undefined) return null;
  return identity
    .slice(identity.lastIndexOf("@") + 1)
    .toLowerCase()
    .replace(/\.$/, "");
}

/** RFC 6376 section 6.1.1: a signature the verifier must ignore (PERMFAIL) before fetching its key. */
function signatureProblem(
  signedHeaders: readonly string[],
  identity: string | null,
  domain: string,
): string | null {
  if (!signedHeaders.includes("from")) {
    return "the signature does not cover From: h= must name it (RFC 6376 section 6.1.1)";
  }
  if (identity !== null && identity !== domain && !identity.endsWith(`.${domain}`)) {
    return `the i= domain ${identity} is neither d=${domain} nor a subdomain of it (RFC 6376 section 6.1.1)`;
  }
  return null;
}

/** A colon-separated tag (`h=sha1:sha256`, `s=email`, `t=y:s`) as lowercased items; null when absent. */
function tagValues(tags: Map<string, string> | null, name: string): string[] | null {
  const value = tags?.get(name);
  return value === undefined ? null : value.split(":").map((item) => item.trim().toLowerCase());
}

/** RFC 6376 sections 3.6.1 and 6.1.2: a key record that may not verify this signature. */
function keyProblem(
  key: Map<string, string> | null,
  signature: { algorithm: string; identity: string | null; domain: string; keyName: string },
): string | null {
  if (key === null) return null;
  const { algorithm, identity, domain, keyName } = signature;
  const hash = algorithm.split("-")[1] ?? "";
  const hashes = tagValues(key, "h");
  if (hashes !== null && hash !== "" && !hashes.includes(hash)) {
    return `the key at ${keyName} allows only h=${key.get("h")}, not the signature's ${hash} (RFC 6376 section 3.6.1)`;
  }
  const services = tagValues(key, "s");
  if (services !== null && !services.includes("email") && !services.includes("*")) {
    return `the key at ${keyName} is for s=${key.get("s")}, not email (RFC 6376 section 3.6.1)`;
  }
  if (tagValues(key, "t")?.includes("s") && identity !== null && identity !== domain) {
    return `the key at ${keyName} has t=s, so i= must be in d=${domain} itself, not ${identity} (RFC 6376 section 3.6.1)`;
  }
  return null;
}

interface Context {
  selector: string;
  domain: string;
  keyName: string;
  algorithm: string;
  keyBits: number | null;
  session: DnsLookupSession;
  mode: DnsMode;
}

function interpret(
  result: MailauthDkimResult,
  context: Context,
): { result: DkimResult; reason: string | null } {
  const { status } = result;
  const comment = status.comment ?? "";
  switch (status.result) {
    case "pass":
      if (context.algorithm === "rsa-sha1") {
        return { result: "permerror", reason: "rsa-sha1 signatures are not valid (RFC 8301 section 3.1)" };
      }
      return { result: "pass", reason: null };
    case "fail":
      return {
        result: "fail",
        reason:
          "signature did not verify: a signed header field changed after signing, or the key does not match",
      };
    case "policy":
      return {
        result: "policy",
        reason: `key too short: ${context.keyBits ?? "fewer than 1024"} bits; at least ${MIN_DKIM_KEY_BITS} required (RFC 8301 section 3.2)`,
      };
    case "temperror": {
      const rejected = context.session.keyAt(context.keyName);
      if (rejected && !rejected.ok && rejected.kind === "over-limit")
        return { result: "permerror", reason: rejected.problem };
      if (/ETIMEOUT/.test(comment))
        return { result: "temperror", reason: `the DNS lookup of ${context.keyName} timed out` };
      return { result: "temperror", reason: `the DNS lookup of ${context.keyName} failed: ${comment}` };
    }
  }
  // mailauth's `neutral` outcomes, told apart by their comment.
  if (comment === "body hash did not verify") {
    return { result: "fail", reason: "body hash did not verify: the body changed after signing" };
  }
  if (comment === "no key") return { result: "permerror", reason: noKeyReason(context) };
  if (comment === "invalid public key") {
    const key = context.session.keyAt(context.keyName);
    const problem = key && !key.ok ? key.problem : "it holds no usable p= public key";
    return { result: "permerror", reason: `the key record at ${context.keyName} is not usable: ${problem}` };
  }
  if (comment === "unknown key version") {
    return { result: "permerror", reason: `the key record at ${context.keyName} has a v= other than DKIM1` };
  }
  if (comment === "unknown key type") {
    return {
      result: "permerror",
      reason: `the key record at ${context.keyName} holds a key that is not rsa or ed25519, or k= names another type`,
    };
  }
  if (comment === "expired" || comment === "invalid expiration") {
    return { result: "permerror", reason: "the signature has expired (x= is past or before t=)" };
  }
  return { result: "neutral", reason: comment || "the signature could not be verified" };
}

function noKeyReason({ selector, domain, keyName, session, mode }: Context): string {
  const lookup = session.lookups.find((entry) => entry.name === keyName && entry.type === "TXT");
  const where = lookup?.source === "system" || mode === "system" ? "in DNS" : "in the zone";
  const detail = lookup?.error === "NODATA" ? ` (${keyName} exists but has no TXT record)` : "";
  return `no key for selector ${selector} at ${domain} ${where}${detail}`;
}

/** Why mailauth did not verify a signature at all (it skips these without a result). */
function unverifiable(tags: Map<string, string>): string {
  for (const tag of ["d", "s", "b", "bh", "a", "h"]) {
    if (!tags.get(tag)) return `the signature has no ${tag}= tag (RFC 6376 section 3.5)`;
  }
  const algorithm = (tags.get("a") ?? "").toLowerCase();
  if (!ALGORITHMS.has(algorithm)) return `unsupported algorithm a=${algorithm}`;
  const [header = "simple", body = "simple"] = (tags.get("c") ?? "simple/simple").toLowerCase().split("/");
  if (!CANONICALIZATIONS.has(header) || !CANONICALIZATIONS.has(body)) {
    return `unsupported canonicalization c=${tags.get("c")}`;
  }
  return "the signature could not be read";
}
