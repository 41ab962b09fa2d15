import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { MailnestEvents } from "../events/bus.js";
import { type SmtpReply, SmtpTestClient } from "../test-support/smtp-test-client.js";
import { startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();
const run = promisify(execFile);
const HAS_PYTHON = spawnSync("python3", ["--version"], { stdio: "ignore" }).status === 0;

async function openClient(port: number): Promise<SmtpTestClient> {
  const client = await SmtpTestClient.open(port);
  cleanup(() => client.destroy());
  return client;
}

/** A command line given as bytes, for what a string (always valid UTF-8) cannot hold. */
async function rawCommand(client: SmtpTestClient, line: Buffer): Promise<SmtpReply> {
  client.write(Buffer.concat([line, Buffer.from("\r\n")]));
  return client.readReply();
}

function bytes(...parts: (string | number[])[]): Buffer {
  return Buffer.concat(
    parts.map((part) => (typeof part === "string" ? Buffer.from(part) : Buffer.from(part))),
  );
}

describe("envelope addresses must be valid UTF-8", () => {
  it("refuses RCPT TO with bytes that are not UTF-8 (553 5.1.3), so two such addresses never share an inbox", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const rejected: MailnestEvents["smtp.rejected"][] = [];
    cleanup(sandbox.bus.on("smtp.rejected", (event) => rejected.push(event)));
    const client = await openClient(sandbox.smtpPort);
    expect((await client.command("MAIL FROM:<app@example.test> SMTPUTF8")).code).toBe(250);

    for (const local of [[0xff, 0xfe], [0xfe, 0xff], [0xc3], [0xed, 0xa0, 0x80]]) {
      const reply = await rawCommand(client, bytes("RCPT TO:<", local, "@inv.test>"));
      expect({ local, reply: reply.raw }).toEqual({
        local,
        reply: "553 5.1.3 The recipient address is not valid UTF-8",
      });
    }
    // The replacement character itself is refused too: it only ever stands for lost bytes.
    expect((await client.command("RCPT TO:<\uFFFD@inv.test>")).code).toBe(553);
    // Real UTF-8 is fine (SMTPUTF8, RFC 6531).
    expect((await client.command("RCPT TO:<jörg@inv.test>")).code).toBe(250);
    expect((await client.command("DATA")).code).toBe(354);
    client.write("Subject: utf8\r\n\r\nhi\r\n.\r\n");
    expect((await client.readReply()).code).toBe(250);

    expect(sandbox.store.listInboxes().map((inbox) => inbox.address)).toEqual(["jörg@inv.test"]);
    expect(rejected).toEqual(Array.from({ length: 5 }, () => ({ reason: "syntax", code: 553 })));
  });

  it("refuses MAIL FROM with bytes that are not UTF-8, in the local part or the domain", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    for (const line of [
      bytes("MAIL FROM:<", [0xff], "@example.test>"),
      bytes("MAIL FROM:<app@ex", [0xe9], "mple.test>"),
    ]) {
      expect((await rawCommand(client, line)).raw).toBe("553 5.1.3 The sender address is not valid UTF-8");
    }
    // The transaction never started: a good MAIL FROM is still the next step, not a nested one.
    expect((await client.command("MAIL FROM:<app@example.test>")).code).toBe(250);
  });
});

describe("unknown MAIL FROM and RCPT TO parameters", () => {
  it("answers 555 5.5.4 naming an unknown MAIL FROM parameter, and no transaction starts", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    const reply = await client.command("MAIL FROM:<app@example.test> FOO=bar");
    expect(reply.code).toBe(555);
    expect(reply.raw).toMatch(/^555 5\.5\.4 MAIL FROM parameter not recognized: FOO \(known: SIZE, /);
    const two = await client.command("MAIL FROM:<app@example.test> SIZE=10 X-ONE=1 XTWO");
    expect(two.raw).toMatch(/^555 5\.5\.4 MAIL FROM parameters not recognized: X-ONE, XTWO /);
    expect((await client.command("RCPT TO:<ann@example.test>")).code).toBe(503);
  });

  it("answers 555 5.5.4 to an unknown RCPT TO parameter, and keeps the other recipients", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    expect((await client.command("MAIL FROM:<app@example.test>")).code).toBe(250);
    const reply = await client.command("RCPT TO:<bob@example.test> NOTIFYY=SUCCESS");
    expect(reply.raw).toBe("555 5.5.4 RCPT TO parameter not recognized: NOTIFYY (known: NOTIFY, ORCPT)");
    expect((await client.command("RCPT TO:<ann@example.test>")).code).toBe(250);
    expect((await client.command("DATA")).code).toBe(354);
    client.write("Subject: params\r\n\r\nhi\r\n.\r\n");
    expect((await client.readReply()).code).toBe(250);
    expect(sandbox.store.listInboxes().map((inbox) => inbox.address)).toEqual(["ann@example.test"]);
  });

  it("still accepts every parameter the server advertises: SIZE, BODY, SMTPUTF8, AUTH, DSN", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    const mail = await client.command(
      "MAIL FROM:<app@example.test> SIZE=100 BODY=8BITMIME SMTPUTF8 AUTH=<> RET=HDRS ENVID=QQ314159",
    );
    expect(mail.code).toBe(250);
    const rcpt = await client.command(
      "RCPT TO:<ann@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;ann@example.test",
    );
    expect(rcpt.code).toBe(250);
  });

  it.skipIf(!HAS_PYTHON)(
    "Python's smtplib sees 555 for an unknown option (SMTPSenderRefused, SMTPRecipientsRefused)",
    async () => {
      const sandbox = await startTestSandbox(cleanup);
      const script = `
import smtplib, sys
port = int(sys.argv[1])
results = []
with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
    try:
        smtp.sendmail("app@example.test", ["ann@example.test"], "Subject: x\\r\\n\\r\\nhi\\r\\n", mail_options=["FOO=bar"])
    except smtplib.SMTPSenderRefused as error:
        results.append(error.smtp_code)
    try:
        smtp.sendmail("app@example.test", ["ann@example.test"], "Subject: x\\r\\n\\r\\nhi\\r\\n", rcpt_options=["FOO=bar"])
    except smtplib.SMTPRecipientsRefused as error:
        results.append(error.recipients["ann@example.test"][0])
    smtp.sendmail("app@example.test", ["ann@example.test"], "Subject: x\\r\\n\\r\\nhi\\r\\n", rcpt_options=["NOTIFY=NEVER"])
    results.append(250)
print(results)
`;
      const { stdout } = await run("python3", ["-c", script, String(sandbox.smtpPort)], { timeout: 20_000 });
      expect(stdout.trim()).toBe("[555, 555, 250]");
    },
  );
});
