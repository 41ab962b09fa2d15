import { createHash } from "node:crypto";
import { ImapFlow, type StatusObject } from "imapflow";
import { describe, expect, it } from "vitest";
import {
  mail,
  startRetrievalHarness,
  useRetrievalCleanup as useCleanup,
} from "../../test-support/retrieval-harness.js";

const cleanup = useCleanup();
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

async function connect(
  port: number,
  user: string,
  options: Partial<ConstructorParameters<typeof ImapFlow>[0]> = {},
) {
  const client = new ImapFlow({
    host: "127.0.0.1",
    port,
    secure: false,
    auth: { user, pass: "any password" },
    logger: false,
    ...options,
  });
  await client.connect();
  cleanup(() => client.logout().catch(() => client.close()));
  return client;
}

describe("IMAP with imapflow (a client the project did not write)", () => {
  it("logs in as an inbox, lists, selects and fetches envelope, bodystructure and the exact source", async () => {
    const harness = await startRetrievalHarness(cleanup);
    const raw = mail({
      subject: "Welcome aboard",
      to: "Ada <ada@mailnest.test>",
      body: "Line one\r\n.dotted line\r\nend",
    });
    await harness.deliver(["ada@mailnest.test"], raw);
    await harness.deliver(["someone-else@mailnest.test"], mail({ subject: "not for ada" }));

    const client = await connect(harness.imap.port!, "Ada@Mailnest.test");
    const folders = await client.list();
    expect(folders.map((folder) => folder.path)).toEqual(["INBOX"]);

    const lock = await client.getMailboxLock("INBOX");
    try {
      expect((client.mailbox as { exists: number }).exists).toBe(1);
      const messages = [];
      for await (const message of client.fetch("1:*", {
        uid: true,
        envelope: true,
        bodyStructure: true,
        source: true,
        flags: true,
        size: true,
        internalDate: true,
      })) {
        messages.push(message);
      }
      expect(messages).toHaveLength(1);
      const [message] = messages;
      expect(message!.envelope?.subject).toBe("Welcome aboard");
      expect(message!.envelope?.to).toEqual([{ name: "Ada", address: "ada@mailnest.test" }]);
      expect(message!.bodyStructure?.type).toBe("text/plain");
      expect(sha256(message!.source!)).toBe(sha256(Buffer.from(raw)));
      expect(message!.size).toBe(Buffer.byteLength(raw));
      expect([...(message!.flags ?? [])]).toEqual([]);
      expect(message!.uid).toBe(
        (await harness.store.list({ limit: 5, inbox: "ada@mailnest.test" })).messages[0]!.sequence,
      );
    } finally {
      lock.release();
    }
    expect(harness.logins).toEqual([
      {
        protocol: "imap",
        user: "Ada@Mailnest.test",
        inbox: "ada@mailnest.test",
        remoteAddress: "127.0.0.1",
        tls: false,
      },
    ]);
  });

  it("gives the catch-all login every inbox as a folder and all mail in INBOX", async () => {
    const harness = await startRetrievalHarness(cleanup);
    await harness.deliver(["a@mailnest.test", "b@mailnest.test"], mail({ subject: "to both" }));
    await harness.deliver(["c@mailnest.test"], mail({ subject: "to c" }));
    const client = await connect(harness.imap.port!, "*");
    const folders = await client.list();
    expect(folders.map((folder) => folder.path).sort()).toEqual([
      "INBOX",
      "a@mailnest.test",
      "b@mailnest.test",
      "c@mailnest.test",
    ]);
    const all = (await client.status("INBOX", {
      messages: true,
      unseen: true,
      uidNext: true,
    })) as StatusObject;
    expect(all.messages).toBe(2);
    expect(all.unseen).toBe(2);
    const b = (await client.status("b@mailnest.test", { messages: true })) as StatusObject;
    expect(b.messages).toBe(1);
  });

  it("searches, sets flags that the store and other sessions see, and expunges", async () => {
    const harness = await startRetrievalHarness(cleanup);
    for (const subject of ["Reset your password", "Your code is 1234", "Weekly digest"]) {
      await harness.deliver(["bob@mailnest.test"], mail({ subject, body: `Body of ${subject}` }));
    }
    const client = await connect(harness.imap.port!, "bob@mailnest.test");
    const lock = await client.getMailboxLock("INBOX");
    try {
      expect(await client.search({ subject: "code" })).toEqual([2]);
      expect(await client.search({ body: "weekly" })).toEqual([3]);
      expect(await client.search({ or: [{ subject: "reset" }, { subject: "digest" }] })).toEqual([1, 3]);
      expect(await client.search({ seen: false })).toEqual([1, 2, 3]);

      await client.messageFlagsAdd("2", ["\\Seen", "\\Flagged"]);
      const stored = await harness.store.list({ limit: 10, inbox: "bob@mailnest.test" });
      expect(stored.messages.find((message) => message.subject.startsWith("Your code"))?.read).toBe(true);
      expect(await client.search({ seen: true })).toEqual([2]);
      expect(await client.search({ flagged: true })).toEqual([2]);

      const uids = await client.search({ subject: "digest" }, { uid: true });
      await client.messageDelete(uids as number[], { uid: true });
      expect((client.mailbox as { exists: number }).exists).toBe(2);
      expect((await harness.store.list({ limit: 10, inbox: "bob@mailnest.test" })).messages).toHaveLength(2);
    } finally {
      lock.release();
    }
  });

  it("wakes an IDLE client with EXISTS when SMTP stores a message for its inbox", async () => {
    const harness = await startRetrievalHarness(cleanup);
    const client = await connect(harness.imap.port!, "idle@mailnest.test");
    await client.mailboxOpen("INBOX");
    const exists = new Promise<{ count: number; prevCount: number }>((resolve) =>
      client.once("exists", resolve),
    );
    // imapflow would enter IDLE by itself after a while; a mail reader asks for it at once.
    void client.idle(); // ended by the logout at cleanup
    await new Promise((resolve) => setTimeout(resolve, 50));
    await harness.deliver(["idle@mailnest.test"], mail({ subject: "live" }));
    expect(await exists).toMatchObject({ count: 1, prevCount: 0 });
  });
});
