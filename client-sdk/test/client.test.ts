import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConnectionError,
  isConnectionError,
  isNotFoundError,
  isUnauthorizedError,
  Mailnest,
  NotFoundError,
} from "../src/index.js";
import { rejection } from "./support/rejection.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

describe("inboxes", () => {
  it("createInbox makes a unique address with the prefix and domain asked for", async () => {
    const [a, b] = await Promise.all([
      server.mail.createInbox({ prefix: "signup" }),
      server.mail.createInbox({ prefix: "signup", domain: "example.test", ttl: 60_000 }),
    ]);
    expect(a.address).toMatch(/^signup-[a-z0-9]+@mailnest\.test$/);
    expect(b.address).toMatch(/^signup-[a-z0-9]+@example\.test$/);
    expect(a.address).not.toBe(b.address);
    expect(a.expiresAt).toBeNull();
    expect(b.expiresAt?.getTime()).toBeGreaterThan(Date.now());
    await expect(server.mail.createInbox({ prefx: "x" } as never)).rejects.toThrow(
      'Unknown createInbox option "prefx"; expected prefix, domain or ttl',
    );
  });

  it("messages() lists matching messages oldest first, and latest() the newest", async () => {
    const inbox = await server.mail.createInbox();
    expect(await inbox.latest()).toBeNull();
    await server.send({ to: inbox.address, subject: "One" });
    await server.send({
      to: inbox.address,
      subject: "Two",
      attachments: [{ filename: "a.txt", content: "a" }],
    });
    await server.send({ to: inbox.address, subject: "Three" });
    expect((await inbox.messages()).map((message) => message.subject)).toEqual(["One", "Two", "Three"]);
    expect((await inbox.messages({ subject: /^T/ })).map((message) => message.subject)).toEqual([
      "Two",
      "Three",
    ]);
    expect((await inbox.messages({ hasAttachment: true })).map((message) => message.subject)).toEqual([
      "Two",
    ]);
    expect((await inbox.latest())?.subject).toBe("Three");
    expect((await inbox.latest({ attachment: { filename: "a.txt" } }))?.subject).toBe("Two");
  });

  it("clear() empties the inbox and delete() forgets it", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({ to: inbox.address, subject: "One" });
    await server.send({ to: inbox.address, subject: "Two" });
    expect(await inbox.clear()).toBe(2);
    expect(await inbox.messages()).toEqual([]);
    await inbox.delete();
    const error = await rejection(inbox.delete());
    expect(isNotFoundError(error)).toBe(true);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).status).toBe(404);
    expect(error.message).toMatch(/^DELETE http:\/\/127\.0\.0\.1:\d+\/api\/inboxes\/.+ → 404 not_found: /);
  });
});

describe("across inboxes", () => {
  it("mail.waitForMessage finds mail to a recipient nobody made an inbox for, one message per call", async () => {
    const to = `ada-${Date.now()}@example.test`;
    await server.send({ to, subject: "First" });
    const waiting = server.mail.waitForMessage({ to, subject: "Second" });
    await server.send({ to, subject: "Second" });
    expect((await waiting).subject).toBe("Second");
    expect((await server.mail.waitForMessage({ to })).subject).toBe("First");
    await expect(server.mail.waitForMessage({ to }, { timeout: 100 })).rejects.toThrow(
      `Timed out after 100 ms waiting for 1 message in any inbox with to "${to}".`,
    );
  });

  it("mail.waitForMessage needs a recipient or a since cursor, so it cannot pick up an earlier test's mail", async () => {
    await expect(server.mail.waitForMessage({ subject: "x" })).rejects.toThrow(
      /needs a recipient \(\{ to: "user@example.com" \}\) or a starting point \(\{ since: await mail.head\(\) \}\)/,
    );
    const since = await server.mail.head();
    const waiting = server.mail.waitForMessage({ subject: "cursor-test" }, { since });
    await server.send({ to: "someone@example.test", subject: "cursor-test" });
    expect((await waiting).sequence).toBe(since + 1);
  });

  it("mail.messages(), mail.message(id), mail.head() and mail.deleteAll() see the whole store", async () => {
    const isolated = await startTestServer();
    try {
      expect(await isolated.mail.head()).toBe(0);
      await isolated.send({ to: "a@example.test", subject: "To A" });
      await isolated.send({ to: "b@example.test", subject: "To B" });
      expect(await isolated.mail.head()).toBe(2);
      const all = await isolated.mail.messages();
      expect(all.map((message) => message.subject)).toEqual(["To A", "To B"]);
      expect((await isolated.mail.messages({ to: "b@" })).map((message) => message.subject)).toEqual([
        "To B",
      ]);
      expect((await isolated.mail.messages({}, { since: 1 })).map((message) => message.subject)).toEqual([
        "To B",
      ]);
      expect((await isolated.mail.message(all[0]!.id)).subject).toBe("To A");
      expect(await isolated.mail.deleteAll()).toBe(2);
      expect(isNotFoundError(await rejection(isolated.mail.message(all[0]!.id)))).toBe(true);
    } finally {
      await isolated.close();
    }
  });
});

describe("messages from a real server", () => {
  it("carry the envelope, addresses, headers, bodies, links and a code", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({
      from: "The App <noreply@app.test>",
      to: `Ada <${inbox.address}>`,
      cc: "Grace <grace@example.test>",
      bcc: "audit@example.test",
      replyTo: "support@app.test",
      subject: "Confirm your email",
      headers: { "X-Campaign": "signup" },
      text: "Your code is 482913.\nConfirm: https://app.test/confirm?token=abc",
      html: '<p>Your code is <b>482913</b>.</p><p><a href="https://app.test/confirm?token=abc">Confirm</a></p>',
    });
    const message = await inbox.waitForMessage();
    expect(message.envelope.mailFrom).toBe("noreply@app.test");
    expect([...message.envelope.rcptTo].sort()).toEqual(
      [inbox.address, "audit@example.test", "grace@example.test"].sort(),
    );
    expect(message.from).toEqual({ name: "The App", address: "noreply@app.test" });
    expect(message.to).toEqual([{ name: "Ada", address: inbox.address }]);
    expect(message.cc).toEqual([{ name: "Grace", address: "grace@example.test" }]);
    expect(message.replyTo).toEqual([{ name: "", address: "support@app.test" }]);
    expect(message.headers.get("x-campaign")).toBe("signup");
    expect(message.text).toContain("Your code is 482913.");
    expect(message.html).toContain("<b>482913</b>");
    expect(message.link({ text: /confirm/i }).href).toBe("https://app.test/confirm?token=abc");
    expect(message.code()).toBe("482913");
    expect(message.date).toBeInstanceOf(Date);
    expect([message.tls, message.authUser, message.parseError]).toEqual([null, null, null]);
  });

  it("raw() returns the exact bytes that were sent, and attachments load their content lazily", async () => {
    const inbox = await server.mail.createInbox();
    const raw =
      `From: sender@app.test\r\nTo: ${inbox.address}\r\nSubject: Raw bytes\r\nMessage-ID: <raw-1@app.test>\r\n` +
      "Date: Wed, 01 May 2024 12:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
      'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
      "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n.leading dot line\r\n" +
      '--b1\r\nContent-Type: text/csv; name="report.csv"\r\nContent-Disposition: attachment; filename="report.csv"\r\n' +
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      `${Buffer.from("id,total\n1,42\n").toString("base64")}\r\n--b1--\r\n`;
    await server.send({ envelope: { from: "sender@app.test", to: [inbox.address] }, raw });
    const message = await inbox.waitForMessage({ attachment: { filename: "report.csv" } });
    const bytes = await message.raw();
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(bytes).equals(Buffer.from(raw))).toBe(true);
    const [attachment] = message.attachments;
    expect(attachment).toMatchObject({
      filename: "report.csv",
      contentType: "text/csv",
      disposition: "attachment",
    });
    expect(await attachment!.text()).toBe("id,total\n1,42\n");
    expect((await attachment!.content()).length).toBe(attachment!.size);
    expect(message.attachment(/\.csv$/)).toBe(attachment);
  });
});

describe("connection and auth errors", () => {
  it("say the server cannot be reached, and where the URL came from", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const error = await rejection(new Mailnest({ url: `http://127.0.0.1:${closedPort}` }).createInbox());
    expect(isConnectionError(error)).toBe(true);
    expect((error as ConnectionError).code).toBe("ECONNREFUSED");
    expect(error.message).toBe(
      `Could not reach Mailnest at http://127.0.0.1:${closedPort} (POST /api/inboxes: ECONNREFUSED). ` +
        "Is the server running? The client uses the `url` option, else MAILNEST_URL, else http://127.0.0.1:8025.",
    );
  });

  it("say how to pass the token when the server requires one", async () => {
    const guarded = await startTestServer({ apiToken: "s3cret" });
    try {
      const error = await rejection(guarded.client({ token: null }).createInbox());
      expect(isUnauthorizedError(error)).toBe(true);
      expect(error.message).toContain(
        "pass the token as `new Mailnest({ token })` or set MAILNEST_API_TOKEN",
      );
      expect(error.message).not.toContain("s3cret");
      const inbox = await guarded.mail.createInbox();
      await guarded.send({ to: inbox.address, subject: "Behind a token" });
      expect((await inbox.waitForMessage()).subject).toBe("Behind a token");
    } finally {
      await guarded.close();
    }
  });
});
