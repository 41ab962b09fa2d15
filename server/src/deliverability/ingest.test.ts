import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { DkimKey, DnsRecordList, MessagePage, StoredMessage } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { plainMessage } from "../test-support/deliverability-kit.js";
import { fetchJson } from "../test-support/fetch-json.js";
import { mailerFor } from "../test-support/mailer.js";
import { queuedId, SmtpTestClient } from "../test-support/smtp-test-client.js";
import { startTestSandbox, tempDir, useCleanup } from "../test-support/test-sandbox.js";
import { MAX_VERIFIED_BYTES } from "./deliverability-lab.js";
import { ZoneFileError } from "./zone-file.js";

const cleanup = useCleanup();

const ZONE = `$ORIGIN example.test.
@       TXT "v=spf1 ip4:192.0.2.0/24 ip4:127.0.0.1 -all"
_dmarc  TXT "v=DMARC1; p=reject"
$ORIGIN spoofed.test.
_dmarc  TXT "v=DMARC1; p=reject"
`;

async function sandboxWithZone(text = ZONE, overrides = {}) {
  const dir = await tempDir(cleanup);
  const dnsZoneFile = path.join(dir, "lab.zone");
  await writeFile(dnsZoneFile, text);
  return startTestSandbox(cleanup, { dnsZoneFile, ...overrides });
}

describe("verification at ingest", () => {
  it("does not verify a message above the size limit, and says so in every verdict", async () => {
    const sandbox = await sandboxWithZone();
    const key = await fetchJson<DkimKey>(sandbox.url, "POST", "/api/dns/dkim-keys", {
      domain: "example.test",
      selector: "big",
    });
    const mailer = mailerFor(cleanup, { port: sandbox.smtpPort });
    const info = await mailer.sendMail({
      from: "ada@example.test",
      to: "bob@mailnest.test",
      subject: "Large and signed",
      text: "x".repeat(MAX_VERIFIED_BYTES + 1024),
      dkim: { domainName: "example.test", keySelector: "big", privateKey: key.body.privateKeyPem },
    });
    const message = await fetchJson<StoredMessage>(
      sandbox.url,
      "GET",
      `/api/messages/${queuedId(info.response)}`,
    );
    const auth = message.body.authentication;
    expect(auth?.dkim[0]).toMatchObject({ result: "temperror", domain: "example.test", selector: "big" });
    expect(auth?.dkim[0]?.reason).toMatch(
      /not verified: the message is \d+ bytes, above the verification limit/,
    );
    expect(auth?.spf.result).toBe("temperror");
  }, 60_000);

  it("a message kept on disk while received (over 1 MiB) reads its body only when a signature hashes it", async () => {
    const sandbox = await sandboxWithZone();
    const key = await fetchJson<DkimKey>(sandbox.url, "POST", "/api/dns/dkim-keys", {
      domain: "example.test",
      selector: "disk",
    });
    const mailer = mailerFor(cleanup, { port: sandbox.smtpPort });
    const dkim = { domainName: "example.test", keySelector: "disk", privateKey: key.body.privateKeyPem };
    const text = "y".repeat(1536 * 1024);
    const verdicts = async (mail: Parameters<typeof mailer.sendMail>[0]) => {
      const info = await mailer.sendMail({
        from: "ada@example.test",
        to: "bob@mailnest.test",
        text,
        ...mail,
      });
      const message = await fetchJson<StoredMessage>(
        sandbox.url,
        "GET",
        `/api/messages/${queuedId(info.response)}`,
      );
      return message.body.authSummary;
    };

    // Signed: the body hash needs the whole file. Unsigned: the header section alone gives DMARC
    // its From domain. A header section longer than the first read (64 KiB) is read whole.
    expect(await verdicts({ subject: "Signed", dkim })).toMatchObject({ dkim: "pass", dmarc: "pass" });
    expect(await verdicts({ subject: "Unsigned" })).toMatchObject({
      dkim: "none",
      spf: "pass",
      dmarc: "pass",
    });
    const padding = { "X-Padding": Array.from({ length: 1200 }, (_, i) => `word${i}`.repeat(12)).join(" ") };
    expect(await verdicts({ subject: "Long header", dkim, headers: padding })).toMatchObject({
      dkim: "pass",
      dmarc: "pass",
    });
  }, 60_000);

  it("a message signed with a key from the API has its verdicts before anyone can see it", async () => {
    const sandbox = await sandboxWithZone();
    const key = await fetchJson<DkimKey>(sandbox.url, "POST", "/api/dns/dkim-keys", {
      domain: "example.test",
      selector: "s1",
    });
    expect(key.status).toBe(201);
    const seen: unknown[] = [];
    sandbox.bus.on("message.stored", ({ message }) => seen.push(message.authSummary));

    const mailer = mailerFor(cleanup, { port: sandbox.smtpPort });
    const info = await mailer.sendMail({
      from: "ada@example.test",
      to: "bob@mailnest.test",
      subject: "Signed",
      text: "Hello",
      dkim: { domainName: "example.test", keySelector: "s1", privateKey: key.body.privateKeyPem },
    });
    const id = queuedId(info.response);

    // The event that announces the message already carries the summary.
    expect(seen).toEqual([{ dkim: "pass", spf: "pass", dmarc: "pass", arc: "none" }]);
    const message = await fetchJson<StoredMessage>(sandbox.url, "GET", `/api/messages/${id}`);
    expect(message.body.authentication?.dkim[0]).toMatchObject({
      result: "pass",
      domain: "example.test",
      selector: "s1",
    });
    expect(message.body.authentication?.spf).toMatchObject({ result: "pass", clientIp: "127.0.0.1" });
    expect(message.body.authentication?.authenticationResults).toMatch(
      /^Authentication-Results: mailnest\.test;/,
    );
    const list = await fetchJson<MessagePage>(sandbox.url, "GET", "/api/messages");
    expect(list.body.messages[0]?.authSummary).toEqual({
      dkim: "pass",
      spf: "pass",
      dmarc: "pass",
      arc: "none",
    });
  });

  it("lists and waits filter on verdicts: dkim=pass, dmarc=fail", async () => {
    const sandbox = await sandboxWithZone();
    const client = await SmtpTestClient.open(sandbox.smtpPort);
    cleanup(() => client.quit());
    await client.sendMessage({ from: "ada@example.test", to: ["bob@mailnest.test"], raw: plainMessage() });
    await client.sendMessage({
      from: "ada@example.test",
      to: ["bob@mailnest.test"],
      raw: plainMessage({ from: "ada@spoofed.test" }),
    });

    const failing = await fetchJson<MessagePage>(sandbox.url, "GET", "/api/messages?dmarc=fail");
    const passing = await fetchJson<MessagePage>(sandbox.url, "GET", "/api/messages?dmarc=pass&spf=pass");
    const signed = await fetchJson<MessagePage>(sandbox.url, "GET", "/api/messages?dkim=pass");
    const waited = await fetchJson<{ messages: StoredMessage[] }>(
      sandbox.url,
      "GET",
      "/api/inboxes/bob@mailnest.test/wait?dmarc=pass&timeout=1000",
    );
    const bad = await fetchJson<{ error: { code: string; parameter: string } }>(
      sandbox.url,
      "GET",
      "/api/messages?dkim=maybe",
    );

    expect(failing.body.messages.map((message) => message.from[0]?.address)).toEqual(["ada@spoofed.test"]);
    expect(passing.body.messages.map((message) => message.from[0]?.address)).toEqual(["ada@example.test"]);
    expect(signed.body.messages).toEqual([]);
    expect(waited.body.messages).toHaveLength(1);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "invalid_parameter", parameter: "dkim" });
  });

  it("XCLIENT from a trusted peer names the client IP that SPF checks", async () => {
    const sandbox = await sandboxWithZone(`$ORIGIN example.test.\n@ TXT "v=spf1 ip4:192.0.2.0/24 ~all"\n`);
    const client = await SmtpTestClient.open(sandbox.smtpPort);
    cleanup(() => client.quit());
    const send = () =>
      client.sendMessage({ from: "ada@example.test", to: ["bob@mailnest.test"], raw: plainMessage() });

    const before = queuedId((await send()).raw);
    expect((await client.command("XCLIENT ADDR=192.0.2.77 NAME=mail.example.test")).code).toBe(220);
    expect((await client.command("EHLO mail.example.test")).code).toBe(250);
    const after = queuedId((await send()).raw);

    const first = await fetchJson<StoredMessage>(sandbox.url, "GET", `/api/messages/${before}`);
    const second = await fetchJson<StoredMessage>(sandbox.url, "GET", `/api/messages/${after}`);
    expect(first.body.authentication?.spf).toMatchObject({ result: "softfail", clientIp: "127.0.0.1" });
    expect(second.body.authentication?.spf).toMatchObject({ result: "pass", clientIp: "192.0.2.77" });
    expect(second.body.envelope.remoteAddress).toBe("192.0.2.77");
  });

  it("a record added through the API applies to the next message of an envelope whose verdicts were reused", async () => {
    const sandbox = await sandboxWithZone(`$ORIGIN example.test.\n_dmarc TXT "v=DMARC1; p=reject"\n`);
    const client = await SmtpTestClient.open(sandbox.smtpPort);
    cleanup(() => client.quit());
    const send = async (subject: string) => {
      const raw = plainMessage({ subject, headers: { "Message-ID": `<${subject}@example.test>` } });
      const id = queuedId(
        (await client.sendMessage({ from: "ada@example.test", to: ["bob@mailnest.test"], raw })).raw,
      );
      return (await fetchJson<StoredMessage>(sandbox.url, "GET", `/api/messages/${id}`)).body.authentication;
    };

    const first = await send("first");
    const reused = await send("reused");
    const added = await fetchJson(sandbox.url, "POST", "/api/dns/records", {
      name: "example.test",
      type: "TXT",
      value: "v=spf1 ip4:127.0.0.1 -all",
    });
    const after = await send("after");

    expect(added.status).toBe(201);
    expect([first, reused, after].map((auth) => [auth?.spf.result, auth?.dmarc.result])).toEqual([
      ["none", "fail"],
      ["none", "fail"],
      ["pass", "pass"],
    ]);
    expect(reused?.dnsLookups).toEqual(first?.dnsLookups);
  });

  it("with --verify-auth off, messages are stored without verdicts", async () => {
    const sandbox = await sandboxWithZone(ZONE, { verifyAuth: false });
    const client = await SmtpTestClient.open(sandbox.smtpPort);
    cleanup(() => client.quit());
    const id = queuedId(
      (await client.sendMessage({ from: "a@example.test", to: ["b@mailnest.test"], raw: plainMessage() }))
        .raw,
    );

    const message = await fetchJson<StoredMessage>(sandbox.url, "GET", `/api/messages/${id}`);
    expect(message.body.authentication).toBeUndefined();
    expect(message.body.authSummary).toBeUndefined();
  });
});

describe("the DNS routes", () => {
  it("add, list and delete records; a bad record is a 400 naming the field", async () => {
    const sandbox = await sandboxWithZone();
    const added = await fetchJson(sandbox.url, "POST", "/api/dns/records", {
      name: "t-8f3k2q9x.mailnest.test",
      type: "TXT",
      value: "v=spf1 -all",
    });
    const bad = await fetchJson<{ error: { code: string; parameter: string; message: string } }>(
      sandbox.url,
      "POST",
      "/api/dns/records",
      { name: "t-8f3k2q9x.mailnest.test", type: "A", value: "not-an-ip" },
    );
    const listed = await fetchJson<DnsRecordList>(
      sandbox.url,
      "GET",
      "/api/dns/records?name=t-8f3k2q9x.mailnest.test",
    );
    const deleted = await fetchJson(
      sandbox.url,
      "DELETE",
      "/api/dns/records?name=t-8f3k2q9x.mailnest.test&type=TXT",
    );
    const after = await fetchJson<DnsRecordList>(sandbox.url, "GET", "/api/dns/records");

    expect(added).toEqual({
      status: 201,
      body: { name: "t-8f3k2q9x.mailnest.test", type: "TXT", value: "v=spf1 -all", ttl: 300 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "invalid_parameter", parameter: "value" });
    expect(listed.body).toEqual({ mode: "zone", records: [added.body] });
    expect(deleted.body).toEqual({ deleted: 1 });
    expect(after.body.records).toHaveLength(3);
  });
});

describe("a zone file that cannot be used", () => {
  it("stops startup with one line naming the file and the line", async () => {
    const error = await sandboxWithZone(`$ORIGIN example.test.\n@ TXT "ok"\nmail A 999.1.1.1\n`).catch(
      (reason: unknown) => reason,
    );

    expect(error).toBeInstanceOf(ZoneFileError);
    expect((error as Error).message).toMatch(/lab\.zone:3: "999\.1\.1\.1" is not an IPv4 address$/);
  });
});
