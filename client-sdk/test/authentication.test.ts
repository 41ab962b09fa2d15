import "../src/vitest.js";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message } from "../src/index.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

/** A domain of this test's own, so that its records cannot meet another test's. */
function testDomain(): string {
  return `t-${Math.random().toString(36).slice(2, 10)}.test`;
}

async function failure(assertion: () => unknown): Promise<string> {
  try {
    await assertion();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the assertion to fail");
}

/** Sends with nodemailer's own DKIM signer, as the app under test would, and waits for the message. */
async function sendSigned(
  domain: string,
  dkim: { domainName: string; keySelector: string; privateKey: string },
): Promise<Message> {
  const inbox = await server.mail.createInbox();
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port: server.sandbox.smtpPort, dkim });
  try {
    await transport.sendMail({ from: `app@${domain}`, to: inbox.address, subject: "Signed", text: "Hello" });
  } finally {
    transport.close();
  }
  return inbox.waitForMessage();
}

describe("the deliverability lab from the SDK", () => {
  it("a key from mail.dns signs with nodemailer and passes DKIM, SPF and DMARC", async () => {
    const domain = testDomain();
    const key = await server.mail.dns.createDkimKey({ domain, selector: "s1" });
    await server.mail.dns.add(
      { name: domain, type: "TXT", value: "v=spf1 ip4:127.0.0.1 -all" },
      { name: `_dmarc.${domain}`, type: "TXT", value: "v=DMARC1; p=reject; adkim=s" },
    );

    const message = await sendSigned(domain, key.nodemailer);

    expect(message.auth?.dkim).toEqual([expect.objectContaining({ result: "pass", domain, selector: "s1" })]);
    expect(message).toPassDkim({ domain, selector: "s1" });
    expect(message).toPassSpf();
    expect(message).toPassDmarc();
    expect(message).not.toPassDkim({ selector: "s2" });
  });

  it("verifies on a thread of the built package, which /metrics counts", async () => {
    const domain = testDomain();
    const key = await server.mail.dns.createDkimKey({ domain, selector: "s1" });
    await sendSigned(domain, key.nodemailer);

    const metrics = await (await fetch(`${server.sandbox.url}/metrics`)).text();
    // One thread (--verify-threads 1), running: it stops only after a minute without a message.
    expect(metrics).toMatch(/^mailnest_verify_threads_running 1$/m);
    // Parsing stays on the event loop on this machine's cores (`auto`), or runs on threads above two.
    expect(metrics).toMatch(/^mailnest_parse_threads_running \d+$/m);
  });

  it("a failing DKIM assertion says why and which key records were consulted", async () => {
    const domain = testDomain();
    const published = await server.mail.dns.createDkimKey({ domain, selector: "s1" });
    await server.mail.dns.delete(`s1._domainkey.${domain}`);

    const message = await sendSigned(domain, published.nodemailer);
    const shown = await failure(() => expect(message).toPassDkim({ domain }));

    expect(shown).toContain(
      `Expected message #${message.sequence} "Signed" to pass DKIM for d=${domain}; its signatures:`,
    );
    expect(shown).toContain(
      `d=${domain} s=s1 rsa-sha256: permerror (no key for selector s1 at ${domain} in the zone)`,
    );
    expect(shown).toContain(`DNS records consulted:\n  - TXT s1._domainkey.${domain} (zone) → NXDOMAIN`);
  });

  it("failing SPF and DMARC assertions print the reason and the record", async () => {
    const domain = testDomain();
    await server.mail.dns.add(
      { name: domain, type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 ~all" },
      { name: `_dmarc.${domain}`, type: "TXT", value: "v=DMARC1; p=quarantine" },
    );
    const inbox = await server.mail.createInbox();
    await server.send({
      from: `app@${domain}`,
      to: inbox.address,
      subject: "Unsigned",
      envelope: { from: `bounce@${domain}`, to: inbox.address },
    });
    const message = await inbox.waitForMessage();

    const spf = await failure(() => expect(message).toPassSpf());
    const dmarc = await failure(() => expect(message).toPassDmarc());

    expect(spf).toContain(`it is spf=softfail for 127.0.0.1 (MAIL FROM bounce@${domain})`);
    expect(spf).toContain(`SPF record of ${domain}: v=spf1 ip4:192.0.2.0/24 ~all`);
    expect(dmarc).toContain(
      "it is dmarc=fail: no DKIM signature passed; SPF is softfail; the policy that applies is p=quarantine",
    );
    expect(dmarc).toContain(`_dmarc.${domain}: v=DMARC1; p=quarantine`);
  });

  it("waits filter on verdicts, and a wait that times out says which verdict did not match", async () => {
    const domain = testDomain();
    await server.mail.dns.add({ name: `_dmarc.${domain}`, type: "TXT", value: "v=DMARC1; p=reject" });
    const key = await server.mail.dns.createDkimKey({ domain, selector: "s1" });
    const inbox = await server.mail.createInbox();
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: server.sandbox.smtpPort,
      dkim: key.nodemailer,
    });
    try {
      await transport.sendMail({ from: `app@${domain}`, to: inbox.address, subject: "Signed", text: "a" });
    } finally {
      transport.close();
    }
    await server.send({ from: `app@${domain}`, to: inbox.address, subject: "Forged", text: "b" });

    const forged = await inbox.waitForMessage({ auth: { dmarc: "fail" } });
    const signed = await inbox.waitForMessage({ auth: { dkim: "pass", dmarc: "pass" } });
    const timeout = await failure(() => inbox.waitForMessage({ auth: { arc: "pass" } }, { timeout: 300 }));

    expect(forged.subject).toBe("Forged");
    expect(signed.subject).toBe("Signed");
    expect(timeout).toContain("arc=none, not pass");
    await expect(inbox.waitForMessage({ auth: { dmarc: "maybe" as never } })).rejects.toThrow(
      "Expected filter.auth.dmarc to be one of pass, fail, none, temperror, permerror",
    );
  });

  it("an Ed25519 key offers nodemailer nothing: its signer is RSA-only and would send the mail unsigned", async () => {
    const domain = testDomain();
    const key = await server.mail.dns.createDkimKey({ domain, selector: "ed", algorithm: "ed25519" });
    expect(key.algorithm).toBe("ed25519");
    expect(Object.keys(key)).not.toContain("nodemailer");
    // A key typed without its algorithm known has the property; reading it says why not.
    const request: { domain: string; selector: string; algorithm: "rsa" | "ed25519" } = {
      domain,
      selector: "ed2",
      algorithm: "ed25519",
    };
    const untyped = await server.mail.dns.createDkimKey(request);
    expect(() => untyped.nodemailer).toThrow(/nodemailer signs DKIM with RSA keys only/);
    const rsa = await server.mail.dns.createDkimKey({ domain, selector: "rsa" });
    expect(rsa.nodemailer).toEqual({ domainName: domain, keySelector: "rsa", privateKey: rsa.privateKeyPem });
  });

  it("mail.dns lists and deletes records", async () => {
    const domain = testDomain();
    await server.mail.dns.add({ name: domain, type: "MX", value: `10 mx.${domain}` });

    expect(await server.mail.dns.records(domain)).toEqual([
      { name: domain, type: "MX", value: `10 mx.${domain}`, ttl: 300 },
    ]);
    expect(await server.mail.dns.delete(domain, { type: "MX" })).toBe(1);
    expect(await server.mail.dns.records(domain)).toEqual([]);
  });
});
