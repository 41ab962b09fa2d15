import { ImapFlow } from "imapflow";
import { describe, expect, it } from "vitest";
import { startupBanner } from "../cli/banner.js";
import { fetchJson } from "../test-support/fetch-json.js";
import { deliver, LineClient, mail } from "../test-support/retrieval-harness.js";
import { startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";

/**
 * POP3 and IMAP as part of a whole sandbox: ports in health and the banner, and one read state
 * and one deletion across IMAP, POP3 and the HTTP API (what the viewer calls).
 */
const cleanup = useCleanup();

const retrievalOn = { pop3Port: 0, imapPort: 0 } as const;

describe("POP3 and IMAP in the sandbox", () => {
  it("reports the bound ports in /api/health and the banner, and stays off unless configured", async () => {
    const sandbox = await startTestSandbox(cleanup, { ...retrievalOn, starttls: true, imapsPort: 0 });
    const { body } = await fetchJson<Record<string, { port: number | null }>>(
      sandbox.url,
      "GET",
      "/api/health",
    );
    expect(body.pop3?.port).toBe(sandbox.pop3Port);
    expect(body.imap?.port).toBe(sandbox.imapPort);
    expect(body.imaps?.port).toBe(sandbox.imapsPort);
    expect(body.pop3s?.port).toBeNull();
    const banner = startupBanner(sandbox, "0.0.0").join("\n");
    expect(banner).toContain(`  POP3      pop3://127.0.0.1:${sandbox.pop3Port} (STLS offered)`);
    expect(banner).toContain(`  IMAP      imap://127.0.0.1:${sandbox.imapPort} (STARTTLS offered)`);
    expect(banner).toContain(`  IMAPS     imaps://127.0.0.1:${sandbox.imapsPort} (implicit TLS)`);

    const plain = await startTestSandbox(cleanup);
    expect([plain.pop3Port, plain.imapPort, plain.pop3sPort, plain.imapsPort]).toEqual([
      null,
      null,
      null,
      null,
    ]);
  });

  it("shares one read flag between IMAP, POP3 and the API", async () => {
    const sandbox = await startTestSandbox(cleanup, retrievalOn);
    await deliver(sandbox.smtpPort, ["reader@mailnest.test"], mail({ subject: "one" }));
    await deliver(sandbox.smtpPort, ["reader@mailnest.test"], mail({ subject: "two" }));
    const list = async () =>
      (
        await fetchJson<{ messages: Array<{ id: string; subject: string; read: boolean }> }>(
          sandbox.url,
          "GET",
          "/api/inboxes/reader%40mailnest.test/messages",
        )
      ).body.messages;
    const [two, one] = await list();

    // Read over IMAP → read in the API (and so in the viewer).
    const client = new ImapFlow({
      host: "127.0.0.1",
      port: sandbox.imapPort!,
      secure: false,
      auth: { user: "reader@mailnest.test", pass: "x" },
      logger: false,
    });
    await client.connect();
    cleanup(() => client.logout().catch(() => client.close()));
    await client.mailboxOpen("INBOX");
    await client.messageFlagsAdd({ uid: String(sandbox.store.summary(one!.id)!.sequence) }, ["\\Seen"], {
      uid: true,
    });
    expect((await list()).find((message) => message.id === one!.id)?.read).toBe(true);

    // Read in the API → the idling IMAP client is told.
    const flags = new Promise<{ uid: number; flags: Set<string> }>((resolve) =>
      client.once("flags", resolve),
    );
    void client.idle();
    await fetchJson(sandbox.url, "PATCH", `/api/messages/${two!.id}`, { read: true });
    const update = await flags;
    expect(update.uid).toBe(sandbox.store.summary(two!.id)!.sequence);
    expect([...update.flags]).toEqual(["\\Seen"]);

    // Unread in the API, RETR over POP3 → read again.
    await fetchJson(sandbox.url, "PATCH", `/api/messages/${two!.id}`, { read: false });
    const pop3 = await LineClient.connect(sandbox.pop3Port!);
    cleanup(() => pop3.close());
    await pop3.line();
    for (const line of ["USER reader@mailnest.test", "PASS x", "RETR 2"]) {
      pop3.write(`${line}\r\n`);
      expect(await pop3.line()).toMatch(/^\+OK/);
    }
    while ((await pop3.line()) !== ".") {}
    expect((await list()).find((message) => message.id === two!.id)?.read).toBe(true);

    // DELE + QUIT over POP3 → gone from the API.
    pop3.write("DELE 1\r\nQUIT\r\n");
    expect(await pop3.line()).toMatch(/^\+OK/);
    expect(await pop3.line()).toBe("+OK Mailnest POP3 signing off (1 messages deleted)");
    expect((await fetchJson(sandbox.url, "GET", `/api/messages/${one!.id}`)).status).toBe(404);
  });

  it("with --api-token, POP3 and IMAP take the token as every login's password", async () => {
    const sandbox = await startTestSandbox(cleanup, { ...retrievalOn, apiToken: "s3cret-token" });
    await deliver(sandbox.smtpPort, ["reader@mailnest.test"], mail({ subject: "guarded" }));

    const pop3 = await LineClient.connect(sandbox.pop3Port!);
    cleanup(() => pop3.close());
    await pop3.line();
    pop3.write("USER *\r\n");
    expect(await pop3.line()).toMatch(/^\+OK/);
    pop3.write("PASS not-the-token\r\n");
    expect(await pop3.line()).toMatch(/^-ERR .*--api-token/);
    pop3.write("USER *\r\n");
    await pop3.line();
    pop3.write("PASS s3cret-token\r\n");
    expect(await pop3.line()).toMatch(/^\+OK Logged in; 1 messages/);

    const imap = await LineClient.connect(sandbox.imapPort!);
    cleanup(() => imap.close());
    await imap.line();
    imap.write("a1 LOGIN reader@mailnest.test wrong\r\n");
    expect((await imap.readUntilTagged("a1")).tagged).toMatch(/^a1 NO /);
    imap.write("a2 LOGIN reader@mailnest.test s3cret-token\r\n");
    expect((await imap.readUntilTagged("a2")).tagged).toMatch(/^a2 OK /);
  });

  it("a browser's HTTP request to the POP3 or IMAP port is refused at its request line, and its body runs nothing", async () => {
    const sandbox = await startTestSandbox(cleanup, retrievalOn);
    await deliver(sandbox.smtpPort, ["reader@mailnest.test"], mail({ subject: "keep me" }));
    const post = (body: string) =>
      `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const forged = [
      {
        port: sandbox.pop3Port!,
        body: "USER *\r\nPASS x\r\nDELE 1\r\nQUIT\r\n",
        refusal: /^-ERR .*not an HTTP/,
      },
      {
        port: sandbox.imapPort!,
        body: "a LOGIN * x\r\nb SELECT INBOX\r\nc STORE 1:* +FLAGS (\\Deleted)\r\nd EXPUNGE\r\n",
        refusal: /^\* BYE .*not an HTTP/,
      },
    ];
    for (const { port, body, refusal } of forged) {
      const client = await LineClient.connect(port);
      cleanup(() => client.close());
      await client.line(); // the greeting
      client.write(post(body));
      expect(await client.line()).toMatch(refusal);
      expect(await client.line()).toBeNull();
    }
    expect(sandbox.store.messageCount).toBe(1);
  });
});
