import { generateKeyPairSync } from "node:crypto";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { plainMessage, sealWithMailauth, signWithMailauth } from "../test-support/deliverability-kit.js";
import { dkimVerify, loadMailauthParts } from "./mailauth-parts.js";
import type { MailauthDkimVerification, MailauthResolver } from "./mailauth-types.js";

// Mailnest's versions of the parser's methods go in first, so both sides below run the same verifier.
loadMailauthParts();
const require = createRequire(import.meta.url);
const upstream = require("mailauth/lib/dkim/verify.js") as {
  dkimVerify(input: Buffer, options: { resolver: MailauthResolver }): Promise<MailauthDkimVerification>;
};

const DOMAIN = "example.test";
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ed25519 = generateKeyPairSync("ed25519");
const pem = (key: { export(options: { type: "pkcs8"; format: "pem" }): string | Buffer }) =>
  key.export({ type: "pkcs8", format: "pem" }).toString();
const rsaRecord = `v=DKIM1; k=rsa; p=${rsa.publicKey.export({ type: "spki", format: "der" }).toString("base64")}`;
const edRecord = `v=DKIM1; k=ed25519; p=${ed25519.publicKey.export({ type: "spki", format: "der" }).subarray(12).toString("base64")}`;

const resolver: MailauthResolver = async (name) => {
  if (name === `rsa._domainkey.${DOMAIN}`) return [[rsaRecord]];
  if (name === `ed._domainkey.${DOMAIN}`) return [[edRecord]];
  throw Object.assign(new Error(`no record for ${name}`), { code: "ENOTFOUND" });
};

/** Everything a caller can read of a verification, the non-enumerable parts included. */
function observed(verification: MailauthDkimVerification & { headers?: unknown; seal?: unknown }) {
  return JSON.parse(
    JSON.stringify({
      verification,
      headers: verification.headers ?? null,
      arc: verification.arc ?? null,
      seal: verification.seal ?? null,
      keys: Object.keys(verification),
    }),
  ) as unknown;
}

async function corpus(): Promise<Record<string, Buffer>> {
  const text = "Hello from the lab.\r\n".repeat(20);
  const plain = plainMessage({ text });
  const signed = await signWithMailauth(plain, {
    domain: DOMAIN,
    selector: "rsa",
    privateKey: pem(rsa.privateKey),
  });
  const twice = await signWithMailauth(signed, {
    domain: DOMAIN,
    selector: "ed",
    privateKey: pem(ed25519.privateKey),
    algorithm: "ed25519-sha256",
  });
  // Over upstream's 64 KiB chunk, so the message is written in several chunks, with a chunk edge
  // inside a CRLF: 3 × 65,536 bytes of 17-byte lines.
  const large = await signWithMailauth(plainMessage({ text: "0123456789abcde\r\n".repeat(11_565) }), {
    domain: DOMAIN,
    selector: "rsa",
    privateKey: pem(rsa.privateKey),
  });
  const sealed = await sealWithMailauth(signed, {
    domain: DOMAIN,
    selector: "rsa",
    privateKey: pem(rsa.privateKey),
    authResults: `mx.${DOMAIN}; dkim=pass header.d=${DOMAIN}`,
    cv: "none",
  });
  return {
    unsigned: plain,
    signed,
    "signed twice (RSA, Ed25519)": twice,
    "body changed after signing": Buffer.concat([signed, Buffer.from("one more line\r\n")]),
    "key not published": Buffer.from(signed.toString("latin1").replace("s=rsa;", "s=gone;"), "latin1"),
    "bare LF line ends": Buffer.from(signed.toString("latin1").replace(/\r\n/g, "\n"), "latin1"),
    "larger than one chunk": large,
    "ARC-sealed": sealed,
    "header only, no body": Buffer.from("From: a@example.test\r\nSubject: x\r\n"),
    empty: Buffer.alloc(0),
  };
}

describe("mailauth's DKIM verifier driven without its stream", () => {
  it("returns what mailauth's own dkimVerify returns, for every message of the corpus", async () => {
    const messages = await corpus();
    const verdicts: Record<string, string> = {};
    for (const [name, raw] of Object.entries(messages)) {
      const ours = await dkimVerify(raw, { resolver });
      const theirs = await upstream.dkimVerify(raw, { resolver });
      expect(observed(ours), name).toEqual(observed(theirs));
      verdicts[name] = ours.results.map((result) => result.status.result).join(",");
    }
    // The corpus does reach the verifier's different outcomes.
    expect(verdicts).toMatchObject({
      unsigned: "none",
      signed: "pass",
      "signed twice (RSA, Ed25519)": "pass,pass",
      "body changed after signing": "neutral",
      "larger than one chunk": "pass",
      "ARC-sealed": "pass",
    });
    expect(verdicts["key not published"]).not.toBe("pass");
  });

  it("lets the event loop turn between the chunks of a large message, as upstream does", async () => {
    const { "larger than one chunk": large } = await corpus();
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    // Without a yield between chunks, everything here settles in microtasks (the resolver answers
    // at once, the RSA check is synchronous), before any immediate could run.
    await dkimVerify(large ?? Buffer.alloc(0), { resolver });
    expect(turned).toBe(true);
  });
});
