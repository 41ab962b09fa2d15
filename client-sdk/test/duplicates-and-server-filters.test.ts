import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mailnestMatchers } from "../src/matchers.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { pool: true });
});
afterAll(() => server.close());

const raw = (to: string, subject: string) =>
  [
    "From: Shop <shop@app.test>",
    `To: ${to}`,
    `Subject: ${subject}`,
    "Message-ID: <receipt-1@app.test>",
    "Date: Tue, 01 Dec 2026 10:00:00 +0000",
    "",
    "Thank you for your order.",
    "",
  ].join("\r\n");

describe("duplicates", () => {
  it("marks a second identical message duplicateOf the first, and toHaveNoDuplicates names both", async () => {
    const inbox = await server.mail.createInbox();
    const envelope = { from: "shop@app.test", to: [inbox.address] };
    await server.send({ envelope, raw: raw(inbox.address, "Your receipt") });
    await server.send({ envelope, raw: raw(inbox.address, "Your receipt") });
    const [first, second] = await inbox.messages();
    expect(first!.duplicateOf).toBeNull();
    expect(second!.duplicateOf).toBe(first!.id);

    const verdict = await mailnestMatchers.toHaveNoDuplicates.call({}, inbox);
    expect(verdict.pass).toBe(false);
    expect(verdict.message()).toContain(`${String(second)} repeats ${String(first)}`);
  });

  it("does not count a resend with other bytes or another envelope", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({
      envelope: { from: "shop@app.test", to: [inbox.address] },
      raw: raw(inbox.address, "A"),
    });
    await server.send({
      envelope: { from: "shop@app.test", to: [inbox.address] },
      raw: raw(inbox.address, "B"),
    });
    await server.send({
      envelope: { from: "other@app.test", to: [inbox.address] },
      raw: raw(inbox.address, "A"),
    });
    expect((await inbox.messages()).map((message) => message.duplicateOf)).toEqual([null, null, null]);
    expect((await mailnestMatchers.toHaveNoDuplicates.call({}, inbox)).pass).toBe(true);
  });
});

describe("filters the server evaluates", () => {
  it("a RegExp-filtered wait behind 2,000 non-matching messages resolves with one or two requests", async () => {
    const inbox = await server.mail.createInbox();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 2000; i++) sends.push(server.send({ to: inbox.address, subject: `Newsletter ${i}` }));
    await Promise.all(sends);
    await server.send({ to: inbox.address, subject: "Your code is 482913" });

    const fetchSpy = vi.spyOn(globalThis, "fetch");
    try {
      const message = await inbox.waitForMessage({ subject: /code is \d{6}$/ });
      expect(message.subject).toBe("Your code is 482913");
      expect(fetchSpy.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(fetchSpy.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      fetchSpy.mockRestore();
    }
  }, 120_000);

  it("sequential RegExp-filtered waits on one handle cost one request each, however many it returned before", async () => {
    const inbox = await server.mail.createInbox();
    const requests: number[] = [];
    for (let i = 0; i < 30; i++) {
      await server.send({ to: inbox.address, subject: `Code ${100000 + i}` });
      const fetchSpy = vi.spyOn(globalThis, "fetch");
      try {
        const message = await inbox.waitForMessage({ subject: /^Code \d{6}$/ });
        expect(message.subject).toBe(`Code ${100000 + i}`);
        requests.push(fetchSpy.mock.calls.length);
      } finally {
        fetchSpy.mockRestore();
      }
    }
    // Without `exclude`, the n-th wait re-read the n-1 messages earlier waits had returned.
    expect(Math.max(...requests)).toBe(1);
  });

  it("falls back to checking a lookahead pattern itself when the server's RE2 refuses it", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({ to: inbox.address, subject: "Welcome, Ada" });
    await server.send({ to: inbox.address, subject: "Welcome back" });
    const message = await inbox.waitForMessage({ subject: /^Welcome(?=, )/ });
    expect(message.subject).toBe("Welcome, Ada");
  });

  it("matches headers and attachments on the server as it does locally", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({ to: inbox.address, subject: "plain" });
    await server.send({
      to: inbox.address,
      subject: "invoice",
      headers: { "X-Campaign": "spring" },
      attachments: [{ filename: "invoice.pdf", content: "%PDF", contentType: "application/pdf" }],
    });
    const found = await inbox.waitForMessage({
      header: { name: "x-campaign", value: { exact: "spring" } },
      attachment: { filename: /\.pdf$/ },
    });
    expect(found.subject).toBe("invoice");
  });
});
