import { ImapFlow } from "imapflow";
import { describe, expect, it } from "vitest";
import { fetchJson } from "../test-support/fetch-json.js";
import { createTestDatabase } from "../test-support/postgres/use-test-database.js";
import { deliver, LineClient, mail } from "../test-support/retrieval-harness.js";
import { startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";

/**
 * IMAP's \Flagged, \Answered, \Draft and \Deleted with two instances on one database: a third-party
 * client (ImapFlow) on each, as a user behind a load balancer would meet them.
 */
const cleanup = useCleanup();

/** How long a change may take to reach another instance on a loaded machine. */
const PROPAGATION = { timeout: 15_000 };

async function imapClient(port: number): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    auth: { user: "flags@mailnest.test", pass: "x" },
    logger: false,
  });
  await client.connect();
  cleanup(() => client.logout().catch(() => client.close()));
  await client.mailboxOpen("INBOX");
  return client;
}

async function flagsOf(client: ImapFlow, uid: number): Promise<string[]> {
  const message = await client.fetchOne(String(uid), { flags: true }, { uid: true });
  return message ? [...(message.flags ?? [])].sort() : [];
}

describe("IMAP flags of several instances on PostgreSQL", () => {
  it("a flag stored through A is seen through B, told to a client idling on B, and EXPUNGE on B deletes what A marked", async () => {
    const database = await createTestDatabase(cleanup);
    const a = await startTestSandbox(cleanup, { databaseUrl: database.url, imapPort: 0 });
    const b = await startTestSandbox(cleanup, { databaseUrl: database.url, imapPort: 0 });
    await deliver(a.smtpPort, ["flags@mailnest.test"], mail({ subject: "one" }));
    await deliver(a.smtpPort, ["flags@mailnest.test"], mail({ subject: "two" }));
    const onA = await imapClient(a.imapPort!);
    const [first, second] = (await onA.search({ all: true }, { uid: true })) as number[];

    await onA.messageFlagsAdd(String(first), ["\\Flagged"], { uid: true });
    const onB = await imapClient(b.imapPort!);
    await expect.poll(() => flagsOf(onB, first!), PROPAGATION).toEqual(["\\Flagged"]);

    // A client idling on B hears of a flag A's client stores.
    const told = new Promise<{ uid: number; flags: Set<string> }>((resolve) => onB.once("flags", resolve));
    void onB.idle();
    await onA.messageFlagsAdd(String(second), ["\\Answered"], { uid: true });
    const update = await told;
    expect([update.uid, [...update.flags]]).toEqual([second, ["\\Answered"]]);

    // \Deleted stored through A, a plain EXPUNGE through B: B deletes what A marked.
    await onA.messageFlagsAdd(String(second), ["\\Deleted"], { uid: true });
    const raw = await LineClient.connect(b.imapPort!);
    cleanup(() => raw.close());
    await raw.line();
    await raw.imap("a", "LOGIN flags@mailnest.test x");
    await raw.imap("b", "SELECT INBOX");
    await expect
      .poll(async () => (await raw.imap("c", `UID FETCH ${second} (FLAGS)`)).lines.join(" "), PROPAGATION)
      .toContain("\\Deleted");
    const expunged = await raw.imap("d", "EXPUNGE");

    expect(expunged.tagged).toMatch(/^d OK/);
    // Deleted for the whole sandbox: A lists only the other message (a moment later, as any change).
    const listedOnA = async () =>
      (
        await fetchJson<{ messages: { subject: string }[] }>(
          a.url,
          "GET",
          "/api/inboxes/flags%40mailnest.test/messages",
        )
      ).body.messages.map((message) => message.subject);
    await expect.poll(listedOnA, PROPAGATION).toEqual(["one"]);
  });
});
