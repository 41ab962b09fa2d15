import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { queuedId, SmtpTestClient } from "../test-support/smtp-test-client.js";
import { startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";

/**
 * RFC 5321 section 4.1.2 allows a quoted local part (`"john doe"@example.test`). Upstream
 * smtp-server splits the command at the first space and answers 501; the engine patch
 * (patches/smtp-server@3.21.6.patch, `QUOTED_PATH`) reads the path to its closing `>` instead. If an
 * upgrade drops the patch, the first test here fails.
 */

const cleanup = useCleanup();
const run = promisify(execFile);
const HAS_PYTHON = spawnSync("python3", ["--version"], { stdio: "ignore" }).status === 0;
const HAS_SWAKS = spawnSync("swaks", ["--version"], { stdio: "ignore" }).status === 0;

async function openClient(port: number): Promise<SmtpTestClient> {
  const client = await SmtpTestClient.open(port);
  cleanup(() => client.destroy());
  return client;
}

describe("quoted local parts", () => {
  it("accepts them in MAIL FROM and RCPT TO, parameters after them included, and files them under one key", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    expect((await client.command('MAIL FROM:<"john doe"@example.test> SIZE=100')).code).toBe(250);
    for (const recipient of [
      '<"Jane Roe"@Example.TEST> NOTIFY=NEVER',
      '<"ann@home <x>"@example.test>',
      '<"a\\"b c"@example.test>',
      '<"a..b"@example.test>',
      '<"bob"@example.test>',
      '<@relay.test:"source routed"@example.test>',
    ]) {
      const reply = await client.command(`RCPT TO:${recipient}`);
      expect({ recipient, reply: reply.raw }).toEqual({ recipient, reply: "250 2.1.5 Accepted" });
    }
    expect((await client.command("RCPT TO:<bob@example.test>")).code).toBe(250);
    expect((await client.command("DATA")).code).toBe(354);
    client.write("Subject: quoted\r\n\r\nhi\r\n.\r\n");
    const id = queuedId((await client.readReply()).raw);

    const message = await sandbox.store.get(id);
    expect(message?.envelope.mailFrom).toBe('"john doe"@example.test');
    expect([...(message?.inboxes ?? [])].sort()).toEqual(
      [
        '"jane roe"@example.test',
        '"ann@home <x>"@example.test',
        '"a\\"b c"@example.test',
        '"a..b"@example.test',
        // `"bob"` and `bob` are one mailbox, and one inbox.
        "bob@example.test",
        '"source routed"@example.test',
      ].sort(),
    );
  });

  it("still refuses what is not a quoted string: an open quote, text after the closing quote, two @", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    expect((await client.command("MAIL FROM:<app@example.test>")).code).toBe(250);
    for (const path of [
      '<"unterminated@example.test>',
      '<"a"b@example.test>',
      '<"a"@b@example.test>',
      '<"a b"@>',
      '<"a b">',
      '<"a\tb"@example.test>',
      '<"john doe"@example.test>x',
    ]) {
      const reply = await client.command(`RCPT TO:${path}`);
      expect({ path, code: reply.code }).toEqual({ path, code: 501 });
    }
  });

  it("makes them inboxes the API reaches at their URL-encoded address, like any other", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    const address = '"<b>Jane</b> Roe"@example.test';
    expect((await client.command("MAIL FROM:<app@example.test>")).code).toBe(250);
    expect((await client.command(`RCPT TO:<${address}>`)).code).toBe(250);
    expect((await client.command("DATA")).code).toBe(354);
    client.write("Subject: via the API\r\n\r\nhi\r\n.\r\n");
    expect((await client.readReply()).code).toBe(250);

    const inbox = `${sandbox.url}/api/inboxes/${encodeURIComponent(address)}`;
    expect(inbox).toContain("/api/inboxes/%22%3Cb%3EJane%3C%2Fb%3E%20Roe%22%40example.test");
    const info = await fetch(inbox);
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ address: '"<b>jane</b> roe"@example.test', messageCount: 1 });
    const list = (await (await fetch(`${inbox}/messages`)).json()) as { messages: { subject: string }[] };
    expect(list.messages.map((message) => message.subject)).toEqual(["via the API"]);
    expect((await fetch(inbox, { method: "DELETE" })).status).toBe(204);
    expect(sandbox.store.listInboxes()).toEqual([]);
  });

  it.skipIf(!HAS_PYTHON)("Python's smtplib sends to and from quoted local parts", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const script = `
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as smtp:
    smtp.sendmail('"john doe"@example.test', ['"Jane Roe"@example.test'], "Subject: py\\r\\n\\r\\nhi\\r\\n")
`;
    await run("python3", ["-c", script, String(sandbox.smtpPort)], { timeout: 20_000 });
    const { messages } = await sandbox.store.list({ limit: 10, inbox: '"jane roe"@example.test' });
    expect(messages.map((message) => message.subject)).toEqual(["py"]);
  });

  it.skipIf(!HAS_SWAKS)("swaks sends to a quoted local part", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await run(
      "swaks",
      ["--server", `127.0.0.1:${sandbox.smtpPort}`, "--to", '"swaks user"@example.test', "--timeout", "10"],
      { timeout: 20_000 },
    );
    const { messages } = await sandbox.store.list({ limit: 10, inbox: '"swaks user"@example.test' });
    expect(messages).toHaveLength(1);
  });
});
