import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  AUTHSERV_ID,
  composeWithNodemailer,
  PYTHON_DKIMSIGN,
  plainMessage,
  signWithMailauth,
  signWithPython,
  verifierOver,
  zoneOf,
} from "../test-support/deliverability-kit.js";
import { createDkimKey, generateDkimKeyPair } from "./dkim-keys.js";
import { DnsZone } from "./dns-zone.js";
import { localZoneEditor } from "./zone-editor.js";

const SPF_AND_DMARC = `
$ORIGIN example.test.
@       TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc  TXT "v=DMARC1; p=reject"
`;

const FROM_EXAMPLE = { ip: "192.0.2.10", helo: "mail.example.test", mailFrom: "ada@example.test" };

async function keyIn(zone: DnsZone, options: { selector?: string; algorithm?: "rsa" | "ed25519" } = {}) {
  return createDkimKey(localZoneEditor(zone), {
    domain: "example.test",
    selector: options.selector ?? "s1",
    algorithm: options.algorithm,
  });
}

describe("DKIM verification against the zone", () => {
  it("passes a message signed by nodemailer's dkim option with a key Mailnest created", async () => {
    const zone = zoneOf(SPF_AND_DMARC);
    const key = await keyIn(zone);
    const raw = await composeWithNodemailer(
      {},
      { domainName: "example.test", keySelector: "s1", privateKey: key.privateKeyPem },
    );

    const auth = await verifierOver(zone).verify({ raw, ...FROM_EXAMPLE });

    expect(auth.dkim).toHaveLength(1);
    expect(auth.dkim[0]).toMatchObject({
      result: "pass",
      domain: "example.test",
      selector: "s1",
      algorithm: "rsa-sha256",
      reason: null,
      keyBits: 2048,
      keyRecord: key.record.value.replace(/\s+/g, ""),
      aligned: true,
    });
    expect(auth.dmarc.result).toBe("pass");
    expect(auth.authenticationResults).toMatch(
      new RegExp(
        `^Authentication-Results: ${AUTHSERV_ID};\\r\\n dkim=pass header\\.d=example\\.test header\\.s=s1 header\\.a=rsa-sha256;`,
      ),
    );
  });

  it.skipIf(PYTHON_DKIMSIGN === null && !process.env.CI)(
    "passes a message signed by Python's dkim module (dkimpy's dkimsign)",
    async () => {
      const zone = zoneOf(SPF_AND_DMARC);
      const key = await keyIn(zone, { selector: "py" });
      const raw = await signWithPython(plainMessage(), {
        domain: "example.test",
        selector: "py",
        privateKey: key.privateKeyPem,
      });
      expect(raw.toString()).toMatch(/^DKIM-Signature: /);

      const auth = await verifierOver(zone).verify({ raw, ...FROM_EXAMPLE });

      expect(auth.dkim).toEqual([
        expect.objectContaining({ result: "pass", selector: "py", canonicalization: "relaxed/simple" }),
      ]);
    },
  );

  it("passes an Ed25519 signature made by mailauth's signer (RFC 8463)", async () => {
    const zone = zoneOf(SPF_AND_DMARC);
    const key = await keyIn(zone, { selector: "ed", algorithm: "ed25519" });
    expect(key.record.value).toMatch(/^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    const raw = await signWithMailauth(plainMessage(), {
      domain: "example.test",
      selector: "ed",
      privateKey: key.privateKeyPem,
      algorithm: "ed25519-sha256",
    });

    const auth = await verifierOver(zone).verify({ raw, ...FROM_EXAMPLE });

    expect(auth.dkim).toEqual([
      expect.objectContaining({ result: "pass", algorithm: "ed25519-sha256", keyBits: 256 }),
    ]);
  });

  it("fails with 'body hash' when the body changed after signing", async () => {
    const zone = zoneOf(SPF_AND_DMARC);
    const key = await keyIn(zone);
    const signed = await composeWithNodemailer(
      { text: "Your code is 123456\r\n" },
      dkimOptions(key.privateKeyPem),
    );
    const raw = Buffer.from(signed.toString().replace("123456", "654321"));

    const auth = await verifierOver(zone).verify({ raw, ...FROM_EXAMPLE });

    expect(auth.dkim[0]?.result).toBe("fail");
    expect(auth.dkim[0]?.reason).toMatch(/^body hash did not verify/);
    expect(auth.authenticationResults).toContain("dkim=fail (body hash did not verify");
  });

  it("fails with 'signature' when a signed header changed after signing", async () => {
    const zone = zoneOf(SPF_AND_DMARC);
    const key = await keyIn(zone);
    const signed = await composeWithNodemailer({ subject: "Invoice 1" }, dkimOptions(key.privateKeyPem));
    const raw = Buffer.from(signed.toString().replace("Subject: Invoice 1", "Subject: Invoice 2"));

    const auth = await verifierOver(zone).verify({ raw, ...FROM_EXAMPLE });

    expect(auth.dkim[0]).toMatchObject({
      result: "fail",
      reason: expect.stringMatching(/^signature did not verify/),
    });
  });

  it("reports no key when the selector is not in the zone", async () => {
    const zone = zoneOf(SPF_AND_DMARC);
    const { privateKeyPem } = await generateDkimKeyPair("rsa");
    const raw = await composeWithNodemailer({}, dkimOptions(privateKeyPem));

    const auth = await verifierOver(zone).verify({ raw, ...FROM_EXAMPLE });

    expect(auth.dkim[0]).toMatchObject({
      result: "permerror",
      reason: "no key for selector s1 at example.test in the zone",
      keyRecord: null,
    });
    expect(auth.dnsLookups).toContainEqual({
      name: "s1._domainkey.example.test",
      type: "TXT",
      answers: [],
      error: "NXDOMAIN",
      source: "zone",
    });
  });

  it("with two signatures, one broken, the good one still passes", async () => {
    const zone = zoneOf(SPF_AND_DMARC);
    const good = await keyIn(zone, { selector: "good" });
    const { privateKeyPem: stray } = await generateDkimKeyPair("rsa");
    await keyIn(zone, { selector: "bad" });
    const once = await signWithMailauth(plainMessage(), {
      domain: "example.test",
      selector: "good",
      privateKey: good.privateKeyPem,
    });
    // Signed with a key that is not the one published for "bad".
    const raw = await signWithMailauth(once, { domain: "example.test", selector: "bad", privateKey: stray });

    const auth = await verifierOver(zone).verify({ raw, ...FROM_EXAMPLE });

    expect(auth.dkim.map((signature) => [signature.selector, signature.result])).toEqual([
      ["bad", "fail"],
      ["good", "pass"],
    ]);
    expect(auth.dmarc).toMatchObject({ result: "pass", dkimDomain: "example.test" });
  });

  it("reports a key shorter than 1024 bits as policy, 'key too short'", async () => {
    const zone = zoneOf(SPF_AND_DMARC);
    const { privateKeyPem, record } = await generateDkimKeyPair("rsa", 512);
    zone.add({ name: "weak._domainkey.example.test", type: "TXT", value: record });
    const raw = await signWithMailauth(plainMessage(), {
      domain: "example.test",
      selector: "weak",
      privateKey: privateKeyPem,
    });

    const auth = await verifierOver(zone).verify({ raw, ...FROM_EXAMPLE });

    expect(auth.dkim[0]).toMatchObject({ result: "policy", keyBits: 512 });
    expect(auth.dkim[0]?.reason).toMatch(/^key too short: 512 bits; at least 1024 required/);
  });

  it("reports a revoked key (empty p=) as a permerror", async () => {
    const zone = zoneOf(`${SPF_AND_DMARC}\ngone._domainkey TXT "v=DKIM1; k=rsa; p="\n`);
    const { privateKeyPem } = await generateDkimKeyPair("rsa");
    const raw = await signWithMailauth(plainMessage(), {
      domain: "example.test",
      selector: "gone",
      privateKey: privateKeyPem,
    });

    const auth = await verifierOver(zone).verify({ raw, ...FROM_EXAMPLE });

    expect(auth.dkim[0]).toMatchObject({ result: "permerror", reason: expect.stringContaining("revoked") });
  });

  describe("refuses what RFC 6376 refuses before any cryptography, though the signature verifies", () => {
    /** How a message that `sign` signs as s1 of example.test verifies, with `keyTags` added to the key record. */
    async function verifiedWith(
      keyTags: string,
      sign: (privateKey: string) => Promise<Buffer>,
    ): Promise<{ result: string; reason: string | null; dmarc: string }> {
      const { privateKeyPem, record } = await generateDkimKeyPair("rsa");
      // A zone file's strings hold 255 characters at most: the record in pieces, as DNS carries it.
      const text = record.replace("v=DKIM1; ", `v=DKIM1; ${keyTags}`);
      const pieces = text.match(/.{1,200}/g) ?? [];
      const zone = zoneOf(
        `${SPF_AND_DMARC}\ns1._domainkey TXT ${pieces.map((piece) => `"${piece}"`).join(" ")}\n`,
      );
      const raw = await sign(privateKeyPem);
      // SPF cannot rescue DMARC here: the envelope sender is elsewhere.
      const auth = await verifierOver(zone).verify({
        raw,
        ...FROM_EXAMPLE,
        mailFrom: "bounce@elsewhere.test",
      });
      const [verdict] = auth.dkim;
      return { result: verdict?.result ?? "none", reason: verdict?.reason ?? null, dmarc: auth.dmarc.result };
    }
    const bySelectorS1 = (privateKey: string, headerList?: string) =>
      signWithMailauth(plainMessage(), {
        domain: "example.test",
        selector: "s1",
        privateKey,
        ...(headerList ? { headerList } : {}),
      });

    it("a signature that does not cover From (section 6.1.1)", async () => {
      const outcome = await verifiedWith("", (key) => bySelectorS1(key, "to:subject:date:message-id"));
      expect(outcome).toEqual({
        result: "permerror",
        reason: expect.stringContaining("does not cover From"),
        dmarc: "fail",
      });
    });

    it.each([
      ["h=sha1", "allows only h=sha1"],
      ["s=tlsrpt", "not email"],
    ])("a key with %s (section 3.6.1)", async (tags, reason) => {
      const outcome = await verifiedWith(`${tags}; `, (key) => bySelectorS1(key));
      expect(outcome).toEqual({
        result: "permerror",
        reason: expect.stringContaining(reason),
        dmarc: "fail",
      });
    });

    it("a key whose s= includes email, and one whose h= includes sha256, still verify", async () => {
      expect((await verifiedWith("s=email:tlsrpt; h=sha1:sha256; ", (key) => bySelectorS1(key))).result).toBe(
        "pass",
      );
    });

    it("says a pass with a key in testing mode (t=y) is one", async () => {
      const outcome = await verifiedWith("t=y; ", (key) => bySelectorS1(key));
      expect(outcome).toEqual({
        result: "pass",
        reason: expect.stringContaining("testing mode"),
        dmarc: "pass",
      });
    });

    it("says a pass with l= covers only part of the body, so what follows it is unsigned", async () => {
      const outcome = await verifiedWith("", async (privateKey) => {
        const signed = await signWithMailauth(plainMessage({ text: "Signed part.\r\n" }), {
          domain: "example.test",
          selector: "s1",
          privateKey,
          maxBodyLength: 14,
        });
        return Buffer.concat([signed, Buffer.from("Added on the way: https://evil.test/\r\n")]);
      });
      expect(outcome).toEqual({
        result: "pass",
        reason: expect.stringContaining("first 14 bytes"),
        dmarc: "pass",
      });
    });

    it.skipIf(PYTHON_DKIMSIGN === null && !process.env.CI)(
      "an i= outside d=, and a subdomain i= under a key with t=s (sections 6.1.1, 3.6.1)",
      async () => {
        const byPython = (identity: string) => (privateKey: string) =>
          signWithPython(plainMessage(), { domain: "example.test", selector: "s1", privateKey, identity });
        // dkimpy will not sign for an i= outside d=: one it signed, with its i= changed afterwards.
        const elsewhere = (privateKey: string) =>
          byPython("app@mail.example.test")(privateKey).then((raw) =>
            Buffer.from(
              raw.toString("latin1").replace("i=app@mail.example.test", "i=app@elsewhere.test"),
              "latin1",
            ),
          );
        expect(await verifiedWith("", elsewhere)).toEqual({
          result: "permerror",
          reason: expect.stringContaining("neither d=example.test nor a subdomain"),
          dmarc: "fail",
        });
        expect((await verifiedWith("", byPython("app@mail.example.test"))).result).toBe("pass");
        expect(await verifiedWith("t=s; ", byPython("app@mail.example.test"))).toEqual({
          result: "permerror",
          reason: expect.stringContaining("t=s"),
          dmarc: "fail",
        });
      },
    );
  });

  it("an unsigned message has no DKIM verdicts and says dkim=none", async () => {
    const auth = await verifierOver(zoneOf(SPF_AND_DMARC)).verify({ raw: plainMessage(), ...FROM_EXAMPLE });

    expect(auth.dkim).toEqual([]);
    expect(auth.authenticationResults).toContain("dkim=none (message not signed)");
  });
});

describe("DKIM work is bounded", () => {
  it("verifies the first 10 of 50 signatures and reports the rest as not verified, quickly", async () => {
    const zone = new DnsZone();
    const key = await keyIn(zone);
    let raw = plainMessage();
    for (let i = 0; i < 50; i += 1) {
      raw = await signWithMailauth(raw, {
        domain: "example.test",
        selector: "s1",
        privateKey: key.privateKeyPem,
      });
    }

    const started = performance.now();
    const auth = await verifierOver(zone).verify({ raw, ...FROM_EXAMPLE });
    const elapsed = performance.now() - started;

    expect(auth.dkim).toHaveLength(50);
    expect(auth.dkim.slice(0, 10).every((signature) => signature.result === "pass")).toBe(true);
    expect(auth.dkim.slice(10).every((signature) => signature.result === "policy")).toBe(true);
    expect(auth.dkim[10]?.reason).toBe(
      "not verified: Mailnest verifies the first 10 DKIM signatures of a message",
    );
    expect(auth.dnsLookups.filter((lookup) => lookup.name === "s1._domainkey.example.test")).toHaveLength(10);
    // Not a benchmark: a bound far above the real cost, that a verification of all 50 would still meet
    // on a slow machine but a stalled one would not.
    expect(elapsed).toBeLessThan(5000);
  });

  it("verifies a signature made with a 16384-bit RSA key without stalling", async () => {
    const privateKey = await readFile(new URL("./fixtures/rsa-16384.pem", import.meta.url), "utf8");
    const { createPublicKey } = await import("node:crypto");
    const spki = createPublicKey(privateKey).export({ type: "spki", format: "der" }).toString("base64");
    const zone = new DnsZone();
    zone.add({ name: "big._domainkey.example.test", type: "TXT", value: `v=DKIM1; k=rsa; p=${spki}` });
    // Signed by nodemailer: mailauth 4.13's signer folds a 2,732-character b= so that about one
    // signature in four does not verify (dkimpy agrees that those are bad).
    const raw = await composeWithNodemailer(
      {},
      { domainName: "example.test", keySelector: "big", privateKey },
    );

    const auth = await verifierOver(zone).verify({ raw, ...FROM_EXAMPLE });

    expect(auth.dkim[0]).toMatchObject({ result: "pass", keyBits: 16384 });
    expect(auth.durationMs).toBeLessThan(5000);
  });

  it("refuses to verify with an RSA key whose public exponent is huge", async () => {
    const { createPublicKey } = await import("node:crypto");
    const { privateKeyPem, record } = await generateDkimKeyPair("rsa", 1024);
    // The published key keeps the modulus but claims e = 2^64 + 1: verifying would cost 64 squarings
    // instead of 17, and an exponent as long as the modulus would cost seconds.
    const jwk = createPublicKey(privateKeyPem).export({ format: "jwk" });
    const e = Buffer.from("010000000000000001", "hex").toString("base64url");
    const odd = createPublicKey({ key: { ...jwk, e }, format: "jwk" });
    expect(record).toMatch(/^v=DKIM1; k=rsa; p=/);
    const zone = new DnsZone();
    const spki = odd.export({ type: "spki", format: "der" }).toString("base64");
    zone.add({ name: "odd._domainkey.example.test", type: "TXT", value: `v=DKIM1; p=${spki}` });
    const raw = await signWithMailauth(plainMessage(), {
      domain: "example.test",
      selector: "odd",
      privateKey: privateKeyPem,
    });

    const auth = await verifierOver(zone).verify({ raw, ...FROM_EXAMPLE });

    expect(auth.dkim[0]).toMatchObject({
      result: "permerror",
      reason: "the RSA public exponent is larger than 2^32",
    });
    expect(auth.dnsLookups[0]).toMatchObject({
      name: "odd._domainkey.example.test",
      error: "the RSA public exponent is larger than 2^32",
    });
  });
});

function dkimOptions(privateKey: string) {
  return { domainName: "example.test", keySelector: "s1", privateKey };
}
