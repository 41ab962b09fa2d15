import { createPublicKey, generateKeyPair as generateKeyPairCallback, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import {
  DKIM_KEY_ALGORITHMS,
  DKIM_RSA_KEY_BITS,
  type DkimKey,
  type DkimKeyAlgorithm,
  MAX_DKIM_KEY_BITS,
} from "@mailnest/protocol";
import { normalizeDnsName } from "./dns-record.js";
import { parseTagList } from "./tag-list.js";
import type { ZoneEditor } from "./zone-editor.js";

const generateKeyPair = promisify(generateKeyPairCallback);

/** A key request the API turns into a 400 naming `field`. */
export class InvalidDkimKeyRequestError extends Error {
  override name = "InvalidDkimKeyRequestError" as const;
  readonly field: "domain" | "selector" | "algorithm" | "bits";

  constructor(field: "domain" | "selector" | "algorithm" | "bits", message: string) {
    super(message);
    this.field = field;
  }
}

/** Where the public key of `selector` at `domain` is published (RFC 6376 section 3.6.2.1). */
export function dkimKeyName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}

/**
 * Creates a key pair, publishes its public half as the TXT record at
 * `<selector>._domainkey.<domain>` (replacing any TXT record there) and returns the private key,
 * so a test can configure its app's signer with it. RSA keys are 2048 bits unless asked otherwise;
 * Ed25519 keys are published as RFC 8463 says (`k=ed25519`, the raw 32-byte key).
 */
export async function createDkimKey(
  zone: ZoneEditor,
  request: { domain: unknown; selector: unknown; algorithm?: unknown; bits?: unknown },
): Promise<DkimKey> {
  if (typeof request.domain !== "string")
    throw new InvalidDkimKeyRequestError("domain", "domain must be a string");
  if (typeof request.selector !== "string" || request.selector.trim() === "") {
    throw new InvalidDkimKeyRequestError("selector", "selector must be a non-empty string");
  }
  const domain = checked("domain", () => normalizeDnsName(request.domain as string));
  const selector = checked("selector", () => normalizeDnsName(request.selector as string));
  const algorithm = request.algorithm ?? "rsa";
  if (typeof algorithm !== "string" || !(DKIM_KEY_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new InvalidDkimKeyRequestError(
      "algorithm",
      `algorithm must be one of ${DKIM_KEY_ALGORITHMS.join(", ")}`,
    );
  }
  if (algorithm === "ed25519" && request.bits !== undefined) {
    throw new InvalidDkimKeyRequestError("bits", "bits applies to RSA keys only");
  }
  const bits = request.bits ?? 2048;
  if (algorithm === "rsa" && !(DKIM_RSA_KEY_BITS as readonly unknown[]).includes(bits)) {
    throw new InvalidDkimKeyRequestError("bits", `bits must be one of ${DKIM_RSA_KEY_BITS.join(", ")}`);
  }
  const pair = await generateDkimKeyPair(algorithm as DkimKeyAlgorithm, bits as number);
  const name = dkimKeyName(selector, domain);
  const record = await zone.edit((records) => {
    records.remove({ name, type: "TXT" });
    return records.add({ name, type: "TXT", value: pair.record });
  });
  return {
    domain,
    selector,
    algorithm: algorithm as DkimKeyAlgorithm,
    bits: pair.bits,
    privateKeyPem: pair.privateKeyPem,
    record,
  };
}

/** A fresh key pair and the text of its DKIM key record. */
export async function generateDkimKeyPair(
  algorithm: DkimKeyAlgorithm,
  bits = 2048,
): Promise<{ privateKeyPem: string; record: string; bits: number }> {
  if (algorithm === "ed25519") {
    const { publicKey, privateKey } = await generateKeyPair("ed25519");
    return { privateKeyPem: pem(privateKey), record: ed25519Record(publicKey), bits: 256 };
  }
  const { publicKey, privateKey } = await generateKeyPair("rsa", {
    modulusLength: bits,
    publicExponent: 0x10001,
  });
  const spki = publicKey.export({ type: "spki", format: "der" }).toString("base64");
  return { privateKeyPem: pem(privateKey), record: `v=DKIM1; k=rsa; p=${spki}`, bits };
}

/** What a DKIM key record holds, or why Mailnest will not verify with it. */
export type DkimKeyInspection =
  | { ok: true; algorithm: "rsa" | "ed25519"; bits: number }
  | { ok: false; kind: "revoked" | "unreadable" | "over-limit"; problem: string; bits: number | null };

/** Largest RSA public exponent accepted: verifying costs one multiplication per exponent bit. */
const MAX_RSA_PUBLIC_EXPONENT = 2n ** 32n;

/**
 * Reads a key record's `p=` the way a verifier would, and applies Mailnest's bounds: RSA keys of
 * at most `MAX_DKIM_KEY_BITS` bits with a small public exponent, so that no key in the zone (or
 * in real DNS) can make one verification take seconds.
 */
export function inspectDkimKeyRecord(text: string): DkimKeyInspection {
  const known = inspected.get(text);
  if (known) return known;
  const inspection = inspect(text);
  if (inspected.size >= MAX_INSPECTED) inspected.delete(inspected.keys().next().value as string);
  inspected.set(text, inspection);
  return inspection;
}

/** Inspections by record text: parsing a key is the dearest step of checking one. */
const inspected = new Map<string, DkimKeyInspection>();
const MAX_INSPECTED = 500;

function inspect(text: string): DkimKeyInspection {
  const tags = parseTagList(text);
  const p = tags.get("p");
  if (p === undefined)
    return { ok: false, kind: "unreadable", problem: "the key record has no p= tag", bits: null };
  if (p === "") return { ok: false, kind: "revoked", problem: "the key was revoked (empty p=)", bits: null };
  const key = publicKeyOf(Buffer.from(p, "base64"));
  if (key === null) return { ok: false, kind: "unreadable", problem: "p= is not a public key", bits: null };
  if (key.asymmetricKeyType === "ed25519") return { ok: true, algorithm: "ed25519", bits: 256 };
  if (key.asymmetricKeyType !== "rsa") {
    return { ok: false, kind: "unreadable", problem: `p= is an ${key.asymmetricKeyType} key`, bits: null };
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits > MAX_DKIM_KEY_BITS) {
    return {
      ok: false,
      kind: "over-limit",
      problem: `key too long: ${bits} bits; Mailnest verifies RSA keys of up to ${MAX_DKIM_KEY_BITS} bits`,
      bits,
    };
  }
  const exponent = key.asymmetricKeyDetails?.publicExponent ?? 0n;
  if (exponent > MAX_RSA_PUBLIC_EXPONENT) {
    return { ok: false, kind: "over-limit", problem: "the RSA public exponent is larger than 2^32", bits };
  }
  return { ok: true, algorithm: "rsa", bits };
}

/** The DER prefix that turns a raw Ed25519 key into SubjectPublicKeyInfo (RFC 8410). */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/**
 * A key as DKIM records carry it: SubjectPublicKeyInfo for RSA (what RFC 6376 section 3.6.1 means in
 * practice), the raw 32 bytes for Ed25519 (RFC 8463 section 4.2); PKCS#1 RSAPublicKey is tried last.
 */
function publicKeyOf(raw: Buffer): KeyObject | null {
  const attempts: { key: Buffer; type: "spki" | "pkcs1" }[] =
    raw.length === 32
      ? [{ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), type: "spki" }]
      : [
          { key: raw, type: "spki" },
          { key: raw, type: "pkcs1" },
        ];
  for (const attempt of attempts) {
    try {
      return createPublicKey({ key: attempt.key, format: "der", type: attempt.type });
    } catch {
      // not this encoding
    }
  }
  return null;
}

function ed25519Record(publicKey: KeyObject): string {
  const raw = publicKey.export({ type: "spki", format: "der" }).subarray(ED25519_SPKI_PREFIX.length);
  return `v=DKIM1; k=ed25519; p=${raw.toString("base64")}`;
}

function pem(privateKey: KeyObject): string {
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

function checked<T>(field: "domain" | "selector", read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new InvalidDkimKeyRequestError(field, `${field}: ${(error as Error).message}`);
  }
}
