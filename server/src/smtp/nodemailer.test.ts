import nodemailer from "nodemailer";
import { describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox.js";
import { queuedId } from "../test-support/smtp-test-client.js";
import { readAll, sha256, startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();

/** nodemailer's real SMTP client, as an app would configure it for Mailnest. */
function transportTo(sandbox: Sandbox) {
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port: sandbox.smtpPort, secure: false });
  cleanup(() => transport.close());
  return transport;
}

// A 1×1 transparent PNG.
const PIXEL = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

describe("delivery from nodemailer", () => {
  it("a plain-text message is stored with its parsed headers and body", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const info = await transportTo(sandbox).sendMail({
      from: '"Ada Lovelace" <ada@example.test>',
      to: "bob@example.test",
      subject: "Plain hello",
      text: "Hello Bob,\nsee https://example.test/verify?token=abc\n",
    });

    const message = await sandbox.store.get(queuedId(info.response));
    expect(message).toMatchObject({
      subject: "Plain hello",
      from: [{ name: "Ada Lovelace", address: "ada@example.test" }],
      to: [{ name: "", address: "bob@example.test" }],
      inboxes: ["bob@example.test"],
      mailFrom: "ada@example.test",
      html: null,
      parseError: null,
    });
    expect(message?.messageId).toBe(info.messageId);
    expect(message?.text).toContain("see https://example.test/verify?token=abc");
    expect(message?.links).toContainEqual(
      expect.objectContaining({ href: "https://example.test/verify?token=abc", source: "text" }),
    );
  });

  it("an HTML message keeps its HTML and the links in it", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const info = await transportTo(sandbox).sendMail({
      from: "app@example.test",
      to: "user@example.test",
      subject: "Confirm",
      text: "Confirm at https://example.test/c/1",
      html: '<p>Hi!</p><p><a href="https://example.test/c/1">Confirm your address</a></p>',
    });

    const message = await sandbox.store.get(queuedId(info.response));
    expect(message?.html).toContain('<a href="https://example.test/c/1">Confirm your address</a>');
    expect(message?.text).toContain("Confirm at https://example.test/c/1");
    expect(message?.links).toContainEqual({
      href: "https://example.test/c/1",
      text: "Confirm your address",
      source: "html",
    });
  });

  it("attachments are listed with name, type, size and sha256, and their content is retrievable", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const binary = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
    const info = await transportTo(sandbox).sendMail({
      from: "app@example.test",
      to: "user@example.test",
      subject: "Your invoice",
      text: "attached",
      attachments: [
        { filename: "invoice.pdf", content: binary, contentType: "application/pdf" },
        { filename: "notes.txt", content: "line one\nline two\n" },
      ],
    });

    const message = await sandbox.store.get(queuedId(info.response));
    expect(message?.attachmentCount).toBe(2);
    expect(message?.attachments).toEqual([
      expect.objectContaining({
        filename: "invoice.pdf",
        contentType: "application/pdf",
        size: binary.length,
        sha256: sha256(binary),
        disposition: "attachment",
      }),
      expect.objectContaining({
        filename: "notes.txt",
        contentType: "text/plain",
        disposition: "attachment",
      }),
    ]);
    const first = message?.attachments[0];
    if (!message || !first) throw new Error("attachment missing");
    const content = await sandbox.store.readAttachment(message.id, first.id);
    expect(content && sha256(await readAll(content.content))).toBe(sha256(binary));
  });

  it("an inline cid image is stored as an inline attachment with its Content-ID", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const info = await transportTo(sandbox).sendMail({
      from: "app@example.test",
      to: "user@example.test",
      subject: "With logo",
      html: '<p><img src="cid:logo@mailnest.test" alt="logo"></p>',
      attachments: [{ filename: "logo.png", content: PIXEL, cid: "logo@mailnest.test" }],
    });

    const message = await sandbox.store.get(queuedId(info.response));
    expect(message?.html).toContain('src="cid:logo@mailnest.test"');
    expect(message?.attachments).toEqual([
      expect.objectContaining({
        filename: "logo.png",
        contentType: "image/png",
        contentId: "logo@mailnest.test",
        disposition: "inline",
        size: PIXEL.length,
        sha256: sha256(PIXEL),
      }),
    ]);
  });

  it("UTF-8 subject and addresses go through SMTPUTF8 and land in the UTF-8 inbox", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const info = await transportTo(sandbox).sendMail({
      from: '"José Müller" <josé@exämple.test>',
      to: '"用户" <用户@example.test>',
      subject: "Grüße aus Köln 🙂",
      text: "Ünïcödé body ✓",
    });

    const message = await sandbox.store.get(queuedId(info.response));
    expect(message?.subject).toBe("Grüße aus Köln 🙂");
    expect(message?.text).toContain("Ünïcödé body ✓");
    expect(message?.envelope.rcptTo).toEqual(["用户@example.test"]);
    expect(message?.envelope.mailFrom).toBe("josé@exämple.test");
    expect(message?.from).toEqual([{ name: "José Müller", address: "josé@exämple.test" }]);
    expect(message?.inboxes).toEqual(["用户@example.test"]);
    expect(sandbox.store.getInbox("用户@example.test")?.messageCount).toBe(1);
  });

  it("a message to To, Cc and Bcc recipients is stored once and listed in each of their inboxes", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const info = await transportTo(sandbox).sendMail({
      from: "app@example.test",
      to: "to@example.test",
      cc: "cc@example.test",
      bcc: "hidden@example.test",
      subject: "Team update",
      text: "hello all",
    });

    const all = await sandbox.store.list({ limit: 10 });
    expect(all.messages).toHaveLength(1);
    const id = queuedId(info.response);
    for (const inbox of ["to@example.test", "cc@example.test", "hidden@example.test"]) {
      const page = await sandbox.store.list({ limit: 10, inbox });
      expect(page.messages.map((message) => message.id)).toEqual([id]);
      expect(sandbox.store.getInbox(inbox)?.messageCount).toBe(1);
    }
    const message = await sandbox.store.get(id);
    expect([...(message?.rcptTo ?? [])].sort()).toEqual([
      "cc@example.test",
      "hidden@example.test",
      "to@example.test",
    ]);
    // nodemailer leaves Bcc out of the headers: only the envelope knows.
    expect(message?.headers.some((header) => header.name.toLowerCase() === "bcc")).toBe(false);
  });

  it("a pooled transport delivers many messages over reused connections, each answered after storage", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: sandbox.smtpPort,
      secure: false,
      pool: true,
      maxConnections: 3,
    });
    cleanup(() => transport.close());

    const infos = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        transport.sendMail({
          from: "a@example.test",
          to: `pool-${i % 3}@example.test`,
          subject: `n${i}`,
          text: `${i}`,
        }),
      ),
    );

    for (const info of infos) expect(sandbox.store.summary(queuedId(info.response))).not.toBeNull();
    expect(sandbox.store.getInbox("pool-0@example.test")?.messageCount).toBe(10);
  });
});
