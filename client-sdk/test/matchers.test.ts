import "../src/vitest.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Inbox, Message } from "../src/index.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
let inbox: Inbox;
let message: Message;

beforeAll(async () => {
  server = await startTestServer();
  inbox = await server.mail.createInbox();
  await server.send({
    to: inbox.address,
    subject: "Reset your password",
    headers: { "List-Unsubscribe": "<https://app.test/unsubscribe>" },
    html: '<a href="https://app.test/reset?token=r1">Reset password</a>',
    attachments: [{ filename: "policy.pdf", content: "%PDF-1.4", contentType: "application/pdf" }],
  });
  message = await inbox.waitForMessage();
});

afterAll(async () => {
  await server?.close();
});

/** The failure message an assertion produces, to pin down what a failing test shows. */
async function failure(assertion: () => unknown): Promise<string> {
  try {
    await assertion();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the assertion to fail");
}

describe("toReceiveMessage", () => {
  it("passes when a matching message arrives, and consumes it", async () => {
    const box = await server.mail.createInbox();
    await server.send({ to: box.address, subject: "Welcome" });
    await expect(box).toReceiveMessage({ subject: /welcome/i });
    await expect(box).not.toReceiveMessage({}, { timeout: 100 });
  });

  it("fails with the wait's own explanation", async () => {
    const box = await server.mail.createInbox();
    await server.send({ to: box.address, subject: "Reset your password" });
    const shown = await failure(() =>
      expect(box).toReceiveMessage({ subject: /welcome/i }, { timeout: 100 }),
    );
    expect(shown).toContain("expect(inbox).toReceiveMessage(filter)");
    expect(shown).toContain(
      `Timed out after 100 ms waiting for 1 message to "${box.address}" with subject /welcome/i.`,
    );
    expect(shown).toContain('subject "Reset your password" does not match /welcome/i');
  });

  it("with .not, fails as soon as a matching message arrives", async () => {
    const box = await server.mail.createInbox();
    await server.send({ to: box.address, subject: "Weekly newsletter" });
    const shown = await failure(() =>
      expect(box).not.toReceiveMessage({ subject: "newsletter" }, { timeout: 2_000 }),
    );
    expect(shown).toContain("expect(inbox).not.toReceiveMessage(filter)");
    expect(shown).toMatch(
      /Expected no message with subject "newsletter" .* but received #\d+ "Weekly newsletter"/,
    );
  });

  it("refuses something that is not an inbox", async () => {
    await expect(expect("ada@mailnest.test").toReceiveMessage()).rejects.toThrow(
      'toReceiveMessage expects an Inbox (from mail.createInbox() or mail.inbox(address)); got "ada@mailnest.test"',
    );
  });
});

describe("message matchers", () => {
  it("toHaveLink passes on a matching href or text and lists the links when it fails", async () => {
    expect(message).toHaveLink(/reset\?token=/);
    expect(message).toHaveLink({ text: "Reset password" });
    expect(message).not.toHaveLink(/confirm/);
    expect(await failure(() => expect(message).toHaveLink(/confirm/))).toBe(
      "expect(message).toHaveLink()\n\n" +
        `Expected message #${message.sequence} "Reset your password" to have a link with href or text /confirm/; its links:\n` +
        '  - https://app.test/reset?token=r1 (html "Reset password")',
    );
    expect(await failure(() => expect(message).not.toHaveLink("reset"))).toContain(
      'not to have a link with href or text "reset", but it has:',
    );
  });

  it("toHaveAttachment matches a filename or { filename, contentType }", async () => {
    expect(message).toHaveAttachment("policy.pdf");
    expect(message).toHaveAttachment({ filename: /\.pdf$/, contentType: "application/pdf" });
    expect(message).not.toHaveAttachment({ contentType: "image/" });
    expect(await failure(() => expect(message).toHaveAttachment("invoice"))).toContain(
      'to have an attachment with filename "invoice"; its attachments:\n  - "policy.pdf" application/pdf, 8 bytes',
    );
  });

  it("toHaveHeader matches a header by name in any case, and optionally its value", async () => {
    expect(message).toHaveHeader("list-unsubscribe");
    expect(message).toHaveHeader("List-Unsubscribe", /unsubscribe/);
    expect(message).not.toHaveHeader("X-Campaign");
    expect(await failure(() => expect(message).toHaveHeader("List-Unsubscribe", "mailto:"))).toContain(
      'to have a List-Unsubscribe header "mailto:"; it has:\n  - List-Unsubscribe: <https://app.test/unsubscribe>',
    );
    expect(() => expect(message).toHaveHeader("")).toThrow("toHaveHeader expects a header name");
  });

  it("refuse something that is not a message", () => {
    expect(() => expect({ subject: "x" }).toHaveLink()).toThrow("toHaveLink expects a Message");
  });
});
