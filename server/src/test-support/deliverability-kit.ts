// First: Mailnest's wrappers of mailauth must be in place before the signer below loads mailauth, as
// they are in the server, where nothing else loads it (mailauth-parts-first.ts).
import "./mailauth-parts-first.js";
import { execFile } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import * as mailauth from "mailauth";
import nodemailer from "nodemailer";
import { createDnsResolver, type SystemDns } from "../deliverability/dns-resolver.js";
import { DnsZone } from "../deliverability/dns-zone.js";
import type { MessageVerifierOptions } from "../deliverability/message-verifier.js";
import type { VerifierWorkerData } from "../deliverability/verifier-messages.js";
import { createMessageVerifier } from "../deliverability/verify-message.js";
import { parseZoneFile } from "../deliverability/zone-file.js";

/**
 * Helpers for the deliverability tests: zones written as zone files, a verifier over them, and
 * messages signed by signers Mailnest did not write (nodemailer, Python's dkimpy, mailauth).
 * Nothing here touches the network: the zone answers from memory, and a `system` resolver must be
 * given a stand-in.
 */

export const AUTHSERV_ID = "mx.mailnest.test";

/** A verification thread started from the TypeScript sources (the build starts verifier-worker.js). */
export function spawnVerifierFromSource(workerData: VerifierWorkerData): Worker {
  const entry = new URL("../deliverability/verifier-worker.ts", import.meta.url).href;
  const code = `import { register } from "tsx/esm/api"; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(code, { eval: true, workerData });
}

/** A zone holding the records of a zone-file text (`$ORIGIN` as it says). */
export function zoneOf(text: string): DnsZone {
  const zone = new DnsZone();
  for (const { record } of parseZoneFile(text, "test-zone")) zone.add(record);
  return zone;
}

export function verifierOver(
  zone: DnsZone,
  options: { mode?: "zone" | "system" | "zone-then-system"; system?: SystemDns } & Partial<
    Omit<MessageVerifierOptions, "resolver">
  > = {},
) {
  const { mode = "zone", system, ...rest } = options;
  const resolver = createDnsResolver({ zone, mode, ...(system ? { system } : {}) });
  return createMessageVerifier({ resolver, authservId: AUTHSERV_ID, ...rest });
}

export interface MessageParts {
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  headers?: Record<string, string>;
}

/** A message as nodemailer builds it, signed with its `dkim` option when one is given. */
export async function composeWithNodemailer(
  parts: MessageParts,
  dkim?: { domainName: string; keySelector: string; privateKey: string },
): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "windows" });
  const info = await transport.sendMail({
    from: parts.from ?? "Ada <ada@example.test>",
    to: parts.to ?? "bob@mailnest.test",
    subject: parts.subject ?? "Hello",
    text: parts.text ?? "Hello from the deliverability lab.\r\n",
    ...(parts.headers ? { headers: parts.headers } : {}),
    ...(dkim ? { dkim } : {}),
  });
  return info.message as Buffer;
}

/** An unsigned message, built by hand. */
export function plainMessage(parts: MessageParts = {}): Buffer {
  const headers = {
    From: parts.from ?? "Ada <ada@example.test>",
    To: parts.to ?? "bob@mailnest.test",
    Subject: parts.subject ?? "Hello",
    Date: "Tue, 02 Dec 2025 10:00:00 +0000",
    "Message-ID": "<lab-1@example.test>",
    ...parts.headers,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join("\r\n");
  return Buffer.from(`${head}\r\n\r\n${parts.text ?? "Hello from the deliverability lab.\r\n"}`);
}

// mailauth 4.13's bundled index.d.ts does not describe what its signer reads: `dkimSign` takes the
// keys in `signatureData` (a top-level `signingDomain` is ignored), and `sealMessage` takes the
// `authResults` and `cv` of the new ARC set. These are the shapes lib/dkim/dkim-signer.js and
// lib/arc/index.js use.
const dkimSign = mailauth.dkimSign as unknown as (
  input: Buffer,
  options: {
    canonicalization: string;
    signTime?: Date;
    /** The fields to sign, colon-separated (mailauth reads an array as no list). */
    headerList?: string;
    signatureData: {
      signingDomain: string;
      selector: string;
      privateKey: string;
      algorithm?: string;
      maxBodyLength?: number;
    }[];
  },
) => Promise<{ signatures: string; errors?: unknown[] }>;
const sealMessage = mailauth.sealMessage as unknown as (
  input: Buffer,
  seal: {
    signingDomain: string;
    selector: string;
    privateKey: string;
    authResults: string;
    cv: string;
    signTime?: Date;
  },
) => Promise<Buffer>;

/**
 * Prepends mailauth's DKIM-Signature (its signer supports Ed25519, RFC 8463). mailauth 4.13's signer
 * now and then folds the b= value so that the signature no longer verifies (dkimpy agrees those are
 * bad): about 1 RSA-2048 signature in 1,000, and 1 in 4 at 16,384 bits. So each signature is checked
 * against the key's own public half and, if bad, made again one second later (RSA signatures are
 * deterministic: only a new t= changes them). A test about a failing signature never fails by chance.
 */
export async function signWithMailauth(
  raw: Buffer,
  signature: {
    domain: string;
    selector: string;
    privateKey: string;
    algorithm?: string;
    /** The fields to sign, colon-separated (mailauth reads an array as no list). */
    headerList?: string;
    /** `l=`: how many bytes of the canonicalized body the signature covers. */
    maxBodyLength?: number;
  },
): Promise<Buffer> {
  const record = keyRecordOf(signature.privateKey);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const { signatures, errors } = await dkimSign(raw, {
      canonicalization: "relaxed/relaxed",
      ...(signature.headerList ? { headerList: signature.headerList } : {}),
      signTime: new Date(Date.now() + attempt * 1000),
      signatureData: [
        {
          signingDomain: signature.domain,
          selector: signature.selector,
          privateKey: signature.privateKey,
          ...(signature.algorithm ? { algorithm: signature.algorithm } : {}),
          ...(signature.maxBodyLength === undefined ? {} : { maxBodyLength: signature.maxBodyLength }),
        },
      ],
    });
    if (errors?.length) throw new Error(`mailauth could not sign: ${JSON.stringify(errors)}`);
    const signed = Buffer.concat([Buffer.from(signatures), raw]);
    const check = await mailauth.dkimVerify(Buffer.concat([Buffer.from(signatures), raw]), {
      resolver: async () => [[record]],
      // Any size: a test may sign with a key too short on purpose.
      minBitLength: 1,
    });
    if (check.results[0]?.status.result === "pass") return signed;
  }
  throw new Error("mailauth made 5 signatures in a row that do not verify");
}

/** The DKIM key record of a private key's public half. */
function keyRecordOf(privateKeyPem: string): string {
  const publicKey = createPublicKey(privateKeyPem);
  const spki = publicKey.export({ type: "spki", format: "der" });
  return publicKey.asymmetricKeyType === "ed25519"
    ? `v=DKIM1; k=ed25519; p=${spki.subarray(12).toString("base64")}`
    : `v=DKIM1; k=rsa; p=${spki.toString("base64")}`;
}

/**
 * Adds an ARC set as a forwarding hop would (mailauth's `sealMessage`), checked like
 * `signWithMailauth`: a set whose seal or message signature does not verify is made again.
 */
export async function sealWithMailauth(
  raw: Buffer,
  seal: {
    domain: string;
    selector: string;
    privateKey: string;
    authResults: string;
    cv: "none" | "pass" | "fail";
  },
): Promise<Buffer> {
  const record = keyRecordOf(seal.privateKey);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const headers = await sealMessage(raw, {
      signingDomain: seal.domain,
      selector: seal.selector,
      privateKey: seal.privateKey,
      authResults: seal.authResults,
      cv: seal.cv,
      signTime: new Date(Date.now() + attempt * 1000),
    });
    const sealed = Buffer.concat([headers, raw]);
    const resolver = async (name: string) =>
      name === `${seal.selector}._domainkey.${seal.domain}` ? [[record]] : [];
    const verification = await mailauth.dkimVerify(sealed, { resolver });
    const chain = await mailauth.arc((verification as unknown as { arc: unknown }).arc as never, {
      resolver,
    });
    if (chain.status.result === "pass") return sealed;
  }
  throw new Error("mailauth made 5 ARC sets in a row that do not verify");
}

/** Debian's `python3-dkim` (dkimpy) signer, or null when it is not installed. */
export const PYTHON_DKIMSIGN = existsSync("/usr/bin/dkimsign") ? "/usr/bin/dkimsign" : null;

/** Signs with dkimpy's `dkimsign` command (relaxed/simple, its defaults). */
export async function signWithPython(
  raw: Buffer,
  signature: { domain: string; selector: string; privateKey: string; identity?: string },
): Promise<Buffer> {
  if (PYTHON_DKIMSIGN === null) throw new Error("dkimsign (Debian package python3-dkim) is not installed");
  const dir = await mkdtemp(join(tmpdir(), "mailnest-dkimpy-"));
  try {
    const keyFile = join(dir, "key.pem");
    await writeFile(keyFile, signature.privateKey, { mode: 0o600 });
    const identity = signature.identity === undefined ? [] : ["--identity", signature.identity];
    const child = promisify(execFile)(
      PYTHON_DKIMSIGN,
      [...identity, signature.selector, signature.domain, keyFile],
      {
        encoding: "buffer",
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    child.child.stdin?.end(raw);
    const { stdout } = await child;
    return stdout as Buffer;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A stand-in for the system's DNS that answers from a table, or never (to test the deadline). */
export function fakeSystemDns(
  table: Record<string, unknown>,
  options: { hang?: boolean } = {},
): SystemDns & {
  asked: string[];
} {
  const asked: string[] = [];
  return {
    asked,
    resolve(name, type) {
      asked.push(`${type} ${name}`);
      if (options.hang) return new Promise(() => {});
      const answer = table[`${type} ${name}`];
      if (answer === undefined)
        return Promise.reject(Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: "ENOTFOUND" }));
      return Promise.resolve(answer);
    },
  };
}
