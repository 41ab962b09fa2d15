/**
 * Issue #18, part 2: several `mailnest` processes on one PostgreSQL database act as one sandbox.
 * Real processes (the CLI), real SMTP (nodemailer), real HTTP and WebSocket, the real SDK.
 */
import { Mailnest } from "@mailnest/client";
import type { Health, MessageSummary } from "@mailnest/protocol";
import { ImapFlow } from "imapflow";
import { describe, expect, it } from "vitest";
import { runCli } from "../test-support/cli-process.js";
import { EventClient } from "../test-support/event-client.js";
import { mailerFor } from "../test-support/mailer.js";
import { startInstances, withPassword } from "../test-support/mailnest-instances.js";
import { createTestDatabase } from "../test-support/postgres/use-test-database.js";
import { queuedId } from "../test-support/smtp-test-client.js";
import { useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();
/** Trust authentication ignores it; it is there to show that no output ever contains it. */
const PASSWORD = "never-shown-8c1f";

describe("three instances on one PostgreSQL database", () => {
  it("mail sent to A's SMTP is awaited with the SDK on B and arrives live on C's WebSocket and in C's IMAP IDLE", async () => {
    const database = await createTestDatabase(cleanup);
    const url = withPassword(database.url, PASSWORD);
    const [a, b, c] = await startInstances(cleanup, url, ["A", "B", "C"]);
    if (!a || !b || !c) throw new Error("three instances were started");

    // C: a viewer subscribed to every inbox.
    const live = await EventClient.connect(cleanup, `${c.url.replace(/^http/, "ws")}/api/events`);
    expect((await live.subscribe("*")).type).toBe("subscribed");
    // C too: a mail reader idling over IMAP on that inbox (IMAP is on, on a free port, in every instance).
    const imapPort = ((await (await fetch(`${c.url}/api/health`)).json()) as Health).imap.port;
    if (imapPort === null) throw new Error("C has no IMAP listener");
    // B: a test that armed its wait before the app sent anything.
    const sdk = new Mailnest({ url: b.url });
    const inbox = await sdk.createInbox({ prefix: "signup" });
    const waiting = inbox.waitForMessage({ subject: /Welcome/ });
    const reader = new ImapFlow({
      host: "127.0.0.1",
      port: imapPort,
      secure: false,
      auth: { user: inbox.address, pass: "any password" },
      logger: false,
    });
    await reader.connect();
    cleanup(() => reader.logout().catch(() => reader.close()));
    await reader.mailboxOpen("INBOX");
    const exists = new Promise<{ count: number }>((resolve) => reader.once("exists", resolve));
    void reader.idle(); // ended by the logout at cleanup

    const info = await mailerFor(cleanup, { port: a.smtpPort }).sendMail({
      from: "app@example.test",
      to: inbox.address,
      subject: "Welcome aboard",
      text: "Your code is 424242",
    });
    const id = queuedId(info.response);

    const message = await waiting;
    expect(message.id).toBe(id);
    expect(message.text).toContain("424242");
    const frame = await live.nextOf("message.received");
    expect((frame.data.message as unknown as MessageSummary).id).toBe(id);
    expect(await exists).toMatchObject({ count: 1 });

    // The same message, byte for byte, from every instance.
    const raws = await Promise.all(
      [a, b, c].map(async (instance) => (await fetch(`${instance.url}/api/messages/${id}/raw`)).text()),
    );
    expect(raws[0]).toContain("Your code is 424242");
    expect(new Set(raws).size).toBe(1);

    // Each says it runs on PostgreSQL, and none shows the password: not in health, not on the console.
    for (const instance of [a, b, c]) {
      const health = (await (await fetch(`${instance.url}/api/health`)).json()) as Health;
      expect(health.store.kind).toBe("postgres");
      expect(health.store.location).toContain(database.name);
      expect(JSON.stringify(health)).not.toContain(PASSWORD);
      expect(instance.cli.stdout).toContain("PostgreSQL");
      expect(instance.cli.stdout + instance.cli.stderr).not.toContain(PASSWORD);
    }
  }, 180_000);

  it("a database that cannot be reached stops startup: exit 1 and one line naming the URL, not its password", async () => {
    const result = await runCli(["--store", `postgres://mailnest:${PASSWORD}@127.0.0.1:1/none`]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^mailnest: could not start: .*postgres:\/\/mailnest:\*\*\*@127\.0\.0\.1:1\/none/,
    );
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });
});
