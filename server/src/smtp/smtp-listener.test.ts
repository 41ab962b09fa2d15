import type { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { EventBus, type MailnestEvents } from "../events/bus.js";
import { startSandbox } from "../sandbox.js";
import { createMessageStore } from "../store/create-message-store.js";
import { StorageFailedError } from "../store/errors.js";
import { dotStuff, expectCode, queuedId, SmtpTestClient } from "../test-support/smtp-test-client.js";
import {
  filesContaining,
  readAll,
  rfc822,
  sha256,
  startTestSandbox,
  testConfig,
  useCleanup,
} from "../test-support/test-sandbox.js";
import { messageParser } from "./parse-message.js";
import { startSmtpListener } from "./smtp-listener.js";

const cleanup = useCleanup();

async function openClient(port: number, heloName = "client.test"): Promise<SmtpTestClient> {
  const client = await SmtpTestClient.open(port, heloName);
  cleanup(() => client.destroy());
  return client;
}

async function storedCount(sandbox: {
  store: { list(q: { limit: number }): Promise<{ messages: unknown[] }> };
}) {
  return (await sandbox.store.list({ limit: 500 })).messages.length;
}

describe("SMTP listener, driven over a raw socket", () => {
  it("advertises PIPELINING, 8BITMIME, SMTPUTF8, SIZE, ENHANCEDSTATUSCODES and optional AUTH, and (by default) no STARTTLS", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const { client, greeting } = await SmtpTestClient.connect(sandbox.smtpPort);
    cleanup(() => client.destroy());
    expect(greeting.code).toBe(220);
    expect(greeting.lines[0]).toMatch(/^mailnest\.test ESMTP/);

    const ehlo = await client.command("EHLO client.test");
    expect(ehlo.code).toBe(250);
    const features = ehlo.lines.slice(1);
    expect(features).toEqual(
      expect.arrayContaining([
        "PIPELINING",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
        `SIZE ${25 * 1024 * 1024}`,
        "AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2",
      ]),
    );
    expect(features).not.toContain("STARTTLS");
  });

  it("answers 250 with the stored message's id only when it is stored, byte for byte as sent", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    // 8-bit body, a long line, trailing spaces, a bare CR and a tab: all must survive untouched.
    const raw = Buffer.concat([
      Buffer.from(rfc822({ subject: "exact", body: "Grüße, naïve café\tend   " })),
      Buffer.from(`${"x".repeat(990)}\r\nbare\rcarriage\r\n\r\n`),
      Buffer.from([0xc3, 0xa9, 0x0d, 0x0a]),
    ]);

    const reply = await client.sendMessage({ from: "sender@example.test", to: ["rcpt@example.test"], raw });

    expect(reply.code).toBe(250);
    expect(reply.lines[0]).toMatch(/^2\.\d\.\d Ok: queued as [0-9a-z]{26}$/);
    const id = queuedId(reply.raw);
    const message = await sandbox.store.get(id);
    expect(message?.subject).toBe("exact");
    expect(message?.size).toBe(raw.length);
    const stored = await sandbox.store.readRaw(id);
    if (!stored) throw new Error("raw bytes missing");
    expect(sha256(await readAll(stored))).toBe(sha256(raw));
  });

  it("stores dot-stuffed lines unstuffed: '..x' on the wire is kept as '.x'", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    const body = ".x\r\n..two dots\r\n.\r\nlast";
    const raw = rfc822({ subject: "dots", body });

    const reply = await client.sendMessage({ from: "a@example.test", to: ["b@example.test"], raw });

    expect(reply.code).toBe(250);
    const stored = await sandbox.store.readRaw(queuedId(reply.raw));
    if (!stored) throw new Error("raw bytes missing");
    const text = (await readAll(stored)).toString("utf8");
    expect(text).toBe(raw);
    expect(text).toContain("\r\n.x\r\n..two dots\r\n.\r\nlast\r\n");
  });

  it.each([1, 2, 3, 5, 64])(
    "unstuffs dot lines exactly when DATA arrives in pieces of %i bytes (the terminator only where it is)",
    async (pieceBytes) => {
      const sandbox = await startTestSandbox(cleanup);
      const client = await openClient(sandbox.smtpPort);
      // Dots at the start of the data, lines that are only dots, a would-be terminator followed by
      // commands (dot-stuffed, so content), and dots inside lines that are not escapes.
      const raw = Buffer.from(
        `.starts\r\nSubject: pieces\r\n\r\n.\r\n..\r\n...x\r\na.b\r\n.\r\nMAIL FROM:<evil@example.test>\r\n. \r\nend.\r\n`,
      );
      expectCode(await client.command("MAIL FROM:<a@example.test>"), 250);
      expectCode(await client.command("RCPT TO:<b@example.test>"), 250);
      expectCode(await client.command("DATA"), 354);
      const wire = Buffer.concat([dotStuff(raw), Buffer.from(".\r\n")]);
      for (let offset = 0; offset < wire.length; offset += pieceBytes) {
        client.write(wire.subarray(offset, offset + pieceBytes));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const reply = await client.readReply();

      expect(reply.code).toBe(250);
      const stored = await sandbox.store.readRaw(queuedId(reply.raw));
      if (!stored) throw new Error("raw bytes missing");
      expect((await readAll(stored)).toString("latin1")).toBe(raw.toString("latin1"));
      expect((await sandbox.store.list({ limit: 5 })).messages).toHaveLength(1);
    },
  );

  it("answers every transaction of a pipelined batch sent in a single write, and stores each", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    const subjects = ["one", "two", "three"];
    const batch = subjects
      .map(
        (subject) =>
          `MAIL FROM:<p@example.test>\r\nRCPT TO:<${subject}@example.test>\r\nDATA\r\n${dotStuff(Buffer.from(rfc822({ subject, body: `.${subject}` })))}.\r\n`,
      )
      .join("");

    client.write(`${batch}QUIT\r\n`);
    const replies = await client.readReplies(subjects.length * 4 + 1);

    expect(replies.map((reply) => reply.code)).toEqual([
      ...subjects.flatMap(() => [250, 250, 354, 250]),
      221,
    ]);
    const stored = (await sandbox.store.list({ limit: 10 })).messages;
    expect(stored.map((message) => message.subject).sort()).toEqual([...subjects].sort());
    expect(stored.find((message) => message.subject === "two")?.inboxes).toEqual(["two@example.test"]);
  });

  it("refuses a declared SIZE above the limit with 552 at MAIL FROM, stores nothing, and keeps serving", async () => {
    const sandbox = await startTestSandbox(cleanup, { maxMessageSize: 1024 });
    const client = await openClient(sandbox.smtpPort);

    const mail = await client.command("MAIL FROM:<big@example.test> SIZE=1025");
    expect(mail.code).toBe(552);
    expect(mail.lines[0]).toMatch(/^5\.3\.4 /);

    const next = await client.sendMessage({
      from: "small@example.test",
      to: ["rcpt@example.test"],
      raw: rfc822({ subject: "fits", body: "ok" }),
      mailParams: "SIZE=200",
    });
    expect(next.code).toBe(250);
    expect((await sandbox.store.list({ limit: 10 })).messages.map((message) => message.subject)).toEqual([
      "fits",
    ]);
  });

  it("answers an undeclared oversize body 552 after the final dot, keeps nothing of it, and keeps serving", async () => {
    const sandbox = await startTestSandbox(cleanup, { maxMessageSize: 4096 });
    const client = await openClient(sandbox.smtpPort);
    const marker = "OVERSIZE-MARKER-7f3a";
    const raw = rfc822({ subject: "too big", body: `${marker}\r\n${"y".repeat(76)}\r\n`.repeat(80) });

    const reply = await client.sendMessage({ from: "a@example.test", to: ["b@example.test"], raw });

    expect(reply.code).toBe(552);
    expect(reply.lines[0]).toMatch(/^5\.3\.4 /);
    expect(await storedCount(sandbox)).toBe(0);
    expect(await filesContaining(sandbox.dataDir, marker)).toEqual([]);

    const next = await client.sendMessage({
      from: "a@example.test",
      to: ["b@example.test"],
      raw: rfc822({ subject: "after", body: "fine" }),
    });
    expect(next.code).toBe(250);
    expect(await storedCount(sandbox)).toBe(1);
  });

  it("answers the 101st recipient 452 4.5.3 and delivers the message to the first 100", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    expect((await client.command("MAIL FROM:<many@example.test>")).code).toBe(250);
    for (let i = 1; i <= 100; i++) {
      expect((await client.command(`RCPT TO:<r${i}@example.test>`)).code).toBe(250);
    }

    const extra = await client.command("RCPT TO:<r101@example.test>");
    expect(extra.code).toBe(452);
    expect(extra.lines[0]).toMatch(/^4\.5\.3 /);
    expect((await client.command("RCPT TO:<r102@example.test>")).code).toBe(452);

    expect((await client.command("DATA")).code).toBe(354);
    client.write(`${rfc822({ subject: "hundred", body: "hi" })}.\r\n`);
    const reply = await client.readReply();
    expect(reply.code).toBe(250);
    const message = await sandbox.store.get(queuedId(reply.raw));
    expect(message?.rcptTo).toHaveLength(100);
    expect(message?.inboxes).toContain("r100@example.test");
    expect(message?.inboxes).not.toContain("r101@example.test");
  });

  it("keeps nothing of a message whose client disconnects mid-DATA, and keeps serving", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const marker = "HALF-SENT-MARKER-91c2";
    const quitter = await openClient(sandbox.smtpPort);
    expect((await quitter.command("MAIL FROM:<a@example.test>")).code).toBe(250);
    expect((await quitter.command("RCPT TO:<b@example.test>")).code).toBe(250);
    expect((await quitter.command("DATA")).code).toBe(354);
    quitter.write(`Subject: never finished\r\n\r\n${`${marker}\r\n`.repeat(2000)}`);
    // Let the server take in the partial body before the connection drops.
    const probe = await openClient(sandbox.smtpPort);
    expect((await probe.command("NOOP")).code).toBe(250);
    quitter.destroy();
    await quitter.closed;

    const next = await probe.sendMessage({
      from: "a@example.test",
      to: ["b@example.test"],
      raw: rfc822({ subject: "still serving", body: "yes" }),
    });

    expect(next.code).toBe(250);
    const stored = (await sandbox.store.list({ limit: 10 })).messages;
    expect(stored.map((message) => message.subject)).toEqual(["still serving"]);
    expect(await filesContaining(sandbox.dataDir, marker)).toEqual([]);
  });

  it("accepts any AUTH credentials, records the user name, and accepts mail without AUTH too", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const authed = await openClient(sandbox.smtpPort);
    const token = Buffer.from("\0app-user\0any password").toString("base64");
    expect((await authed.command(`AUTH PLAIN ${token}`)).code).toBe(235);
    const withAuth = await authed.sendMessage({
      from: "a@example.test",
      to: ["b@example.test"],
      raw: rfc822({ subject: "authed", body: "x" }),
    });
    const anonymous = await openClient(sandbox.smtpPort);
    const withoutAuth = await anonymous.sendMessage({
      from: "a@example.test",
      to: ["b@example.test"],
      raw: rfc822({ subject: "anonymous", body: "x" }),
    });

    expect((await sandbox.store.get(queuedId(withAuth.raw)))?.authUser).toBe("app-user");
    expect((await sandbox.store.get(queuedId(withoutAuth.raw)))?.authUser).toBeNull();
  });

  it("records the envelope: MAIL FROM, every RCPT TO in order, client address, HELO name, no TLS", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort, "app-server.example.test");
    const reply = await client.sendMessage({
      from: "Bounces+42@Example.TEST",
      to: ["Second@Example.test", "first@example.test"],
      raw: rfc822({ subject: "envelope", body: "x", to: "someone-else@example.test" }),
    });

    const message = await sandbox.store.get(queuedId(reply.raw));
    expect(message?.envelope).toMatchObject({
      mailFrom: "Bounces+42@Example.TEST",
      rcptTo: ["Second@Example.test", "first@example.test"],
      remoteAddress: "127.0.0.1",
      heloName: "app-server.example.test",
      authUser: null,
      tls: null,
    });
    expect(Date.parse(message?.envelope.receivedAt ?? "")).not.toBeNaN();
    expect(message?.tls).toBe(false);
    expect([...(message?.inboxes ?? [])].sort()).toEqual(["first@example.test", "second@example.test"]);
  });

  it("accepts the null sender <> (bounces)", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    const reply = await client.sendMessage({
      from: "",
      to: ["b@example.test"],
      raw: rfc822({ subject: "dsn", body: "x" }),
    });
    expect(reply.code).toBe(250);
    expect((await sandbox.store.get(queuedId(reply.raw)))?.mailFrom).toBe("");
  });

  it("stores unparseable MIME with a parseError, listed, raw bytes intact", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await openClient(sandbox.smtpPort);
    // mailparser gives up on more than 1000 MIME parts.
    const parts = Array.from({ length: 1005 }, () => "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n").join("");
    const raw = `Subject: bomb\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${parts}--b--\r\n`;

    const reply = await client.sendMessage({ from: "a@example.test", to: ["b@example.test"], raw });

    expect(reply.code).toBe(250);
    const id = queuedId(reply.raw);
    expect((await sandbox.store.get(id))?.parseError).toMatch(/\S/);
    expect(
      (await sandbox.store.list({ limit: 10, inbox: "b@example.test" })).messages.map((m) => m.id),
    ).toEqual([id]);
    const stored = await sandbox.store.readRaw(id);
    if (!stored) throw new Error("raw bytes missing");
    expect(sha256(await readAll(stored))).toBe(sha256(raw));
  });

  it("turns the connection above --max-connections away with 421", async () => {
    const sandbox = await startTestSandbox(cleanup, { maxConnections: 2 });
    await openClient(sandbox.smtpPort);
    await openClient(sandbox.smtpPort);

    const { client, greeting } = await SmtpTestClient.connect(sandbox.smtpPort);
    cleanup(() => client.destroy());

    expect(greeting.code).toBe(421);
    await client.closed;
  });

  it("closes a connection that stays idle longer than the idle timeout with 421", async () => {
    const sandbox = await startTestSandbox(cleanup, { smtpIdleTimeoutMs: 200 });
    const client = await openClient(sandbox.smtpPort);

    const reply = await client.readReply();

    expect(reply.code).toBe(421);
    await client.closed;
  });

  it("announces connections, acceptances and rejections on the bus", async () => {
    const sandbox = await startTestSandbox(cleanup, { maxMessageSize: 2048 });
    const seen: Array<{ name: string; event: unknown }> = [];
    for (const name of [
      "smtp.connection.opened",
      "smtp.connection.closed",
      "smtp.accepted",
      "smtp.rejected",
    ] as const) {
      sandbox.bus.on(name, (event: MailnestEvents[typeof name]) => seen.push({ name, event }));
    }
    const client = await openClient(sandbox.smtpPort);
    const raw = rfc822({ subject: "counted", body: "x" });
    await client.sendMessage({ from: "a@example.test", to: ["b@example.test"], raw });
    await client.sendMessage({
      from: "a@example.test",
      to: ["b@example.test"],
      raw: rfc822({ subject: "big", body: "z".repeat(3000) }),
    });
    const announcedClosed = new Promise((resolve) => sandbox.bus.on("smtp.connection.closed", resolve));
    await client.quit();
    await announcedClosed;

    expect(seen.map((entry) => entry.name)).toEqual([
      "smtp.connection.opened",
      "smtp.accepted",
      "smtp.rejected",
      "smtp.connection.closed",
    ]);
    expect(seen[0]?.event).toEqual({ remoteAddress: "127.0.0.1" });
    expect(seen[1]?.event).toEqual({ bytes: Buffer.byteLength(raw), ingestMs: expect.any(Number) });
    expect(seen[2]?.event).toEqual({ reason: "size", code: 552 });
  });
});

describe("SMTP listener shutdown", () => {
  it("lets a message in DATA finish with 250, answers 421 to idle connections, and the message survives", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const idle = await openClient(sandbox.smtpPort);
    const sending = await openClient(sandbox.smtpPort);
    expect((await sending.command("MAIL FROM:<a@example.test>")).code).toBe(250);
    expect((await sending.command("RCPT TO:<late@example.test>")).code).toBe(250);
    expect((await sending.command("DATA")).code).toBe(354);
    const raw = rfc822({ subject: "in flight", body: "first half\r\nsecond half" });
    sending.write(raw.slice(0, 60));

    const closed = sandbox.close();
    expect((await idle.readReply()).code).toBe(421);
    sending.write(`${raw.slice(60)}.\r\n`);
    const reply = await sending.readReply();
    expect(reply.code).toBe(250);
    expect((await sending.readReply()).code).toBe(421);
    await closed;

    const restarted = await startSandbox(testConfig(sandbox.dataDir));
    cleanup(() => restarted.close());
    const message = await restarted.store.get(queuedId(reply.raw));
    expect(message?.subject).toBe("in flight");
  });
});

describe("SMTP listener when the store fails", () => {
  type Failure = "after reading the message" | "before reading the message" | "halfway through the message";

  /** The real in-memory store, except that `ingest` fails the way a full disk makes it fail. */
  async function listenerOverFailingStore(failure: Failure) {
    const bus = new EventBus();
    const store = await createMessageStore(
      { dataDir: null, maxMessages: 100, maxAgeMs: null },
      { parser: messageParser, bus },
    );
    cleanup(() => store.close());
    const failing = new Proxy(store, {
      get(target, property) {
        if (property === "ingest") {
          return async (raw: Readable) => {
            if (failure === "after reading the message") await readAll(raw);
            if (failure === "halfway through the message") {
              await new Promise((resolve) => raw.once("data", resolve));
              raw.pause();
            }
            throw new StorageFailedError("writing the message", new Error("ENOSPC: no space left on device"));
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const rejected: Array<MailnestEvents["smtp.rejected"]> = [];
    bus.on("smtp.rejected", (event) => rejected.push(event));
    const listener = await startSmtpListener({ config: testConfig(null), store: failing, bus }, { port: 0 });
    cleanup(() => listener.close());
    return { listener, store, rejected };
  }

  it.each([
    "after reading the message",
    "before reading the message",
    "halfway through the message",
  ] as const)("answers 451 4.3.0 (never 250) when the store fails %s, and keeps serving", async (failure) => {
    const { listener, store, rejected } = await listenerOverFailingStore(failure);
    const client = await openClient(listener.port);

    const reply = await client.sendMessage({
      from: "a@example.test",
      to: ["b@example.test"],
      raw: rfc822({ subject: "disk full", body: "z".repeat(200_000) }),
    });

    expect(reply.code).toBe(451);
    expect(reply.lines[0]).toMatch(/^4\.3\.0 /);
    expect(rejected).toEqual([{ reason: "storage", code: 451 }]);
    expect(store.messageCount).toBe(0);
    expect((await client.command("NOOP")).code).toBe(250);
  });
});
