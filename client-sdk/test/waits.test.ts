import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  isUnexpectedMessageError,
  isWaitTimeoutError,
  type Message,
  type UnexpectedMessageError,
  WaitTimeoutError,
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

const subjects = (messages: readonly Message[]) => messages.map((message) => message.subject);

describe("waitForMessage", () => {
  it("resolves with a message that is already there, and with one that arrives during the wait", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({ to: inbox.address, subject: "Already here" });
    expect((await inbox.waitForMessage()).subject).toBe("Already here");

    const waiting = inbox.waitForMessage({ subject: "later" });
    await server.send({ to: inbox.address, subject: "Sent later" });
    expect((await waiting).subject).toBe("Sent later");
  });

  it("returns two different messages, oldest first, when called twice", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({ to: inbox.address, subject: "Code 111111" });
    await server.send({ to: inbox.address, subject: "Code 222222" });
    const first = await inbox.waitForMessage();
    const second = await inbox.waitForMessage();
    expect([first.code(), second.code()]).toEqual(["111111", "222222"]);
    expect(first.id).not.toBe(second.id);
  });

  it("does not re-read messages earlier waits returned: each sequential wait is one request", async () => {
    const inbox = await server.mail.createInbox();
    for (let i = 1; i <= 5; i++) await server.send({ to: inbox.address, subject: `Message ${i}` });
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    try {
      const received: string[] = [];
      for (let i = 1; i <= 5; i++) received.push((await inbox.waitForMessage()).subject);
      expect(received).toEqual(["Message 1", "Message 2", "Message 3", "Message 4", "Message 5"]);
      const waitRequests = fetchSpy.mock.calls.filter(([url]) => String(url).includes("/wait?"));
      expect(waitRequests).toHaveLength(5);
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it("leaves a message it skipped for a later wait, whatever order two mails arrived in", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({ to: inbox.address, subject: "Welcome aboard" });
    await server.send({ to: inbox.address, subject: "Verify your email" });
    const verify = await inbox.waitForMessage({ subject: /verify/i });
    const welcome = await inbox.waitForMessage({ subject: /welcome/i });
    expect([verify.subject, welcome.subject]).toEqual(["Verify your email", "Welcome aboard"]);
  });

  it("does not see mail that reached the address before the handle was made, unless asked to", async () => {
    const address = `known-${Date.now()}@mailnest.test`;
    await server.send({ to: address, subject: "Stale from an earlier run" });
    const inbox = await server.mail.inbox(address);
    await server.send({ to: address, subject: "Fresh" });
    expect((await inbox.waitForMessage()).subject).toBe("Fresh");
    expect(subjects(await inbox.messages())).toEqual(["Fresh"]);

    const everything = await server.mail.inbox(address, { since: 0 });
    expect(subjects(await everything.messages())).toEqual(["Stale from an earlier run", "Fresh"]);
  });

  it("applies client-side filters (RegExp, header, attachment, where) within one wait, skipping what fails", async () => {
    const inbox = await server.mail.createInbox();
    const waiting = inbox.waitForMessage({
      subject: /^Invoice \d+$/,
      header: { name: "x-campaign", value: { exact: "billing" } },
      attachment: { filename: /\.pdf$/ },
      where: (message) => message.to.some((to) => to.name === "Ada"),
    });
    await server.send({
      to: inbox.address,
      subject: "Invoice 1 (draft)",
      headers: { "X-Campaign": "billing" },
    });
    await server.send({ to: inbox.address, subject: "Invoice 2", headers: { "X-Campaign": "marketing" } });
    await server.send({ to: inbox.address, subject: "Invoice 3", headers: { "X-Campaign": "billing" } });
    await server.send({
      to: `Ada <${inbox.address}>`,
      subject: "Invoice 4",
      headers: { "X-Campaign": "billing" },
      attachments: [{ filename: "invoice-4.pdf", content: "%PDF-1.4" }],
    });
    expect((await waiting).subject).toBe("Invoice 4");
  });

  it("rejects with the error a where() predicate throws, and returns nothing", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({ to: inbox.address, subject: "Boom" });
    const broken = new Error("predicate bug");
    const error = await rejection(
      inbox.waitForMessage({
        where: () => {
          throw broken;
        },
      }),
    );
    expect(error).toBe(broken);
    expect((await inbox.waitForMessage({}, { timeout: 200 })).subject).toBe("Boom");
  });

  it("rejects bad filters and options with a TypeError saying what was expected", async () => {
    await expect(server.mail.inbox("not-an-address")).rejects.toThrow(
      'Expected an email address such as "user@mailnest.test"; got "not-an-address"',
    );
    const inbox = await server.mail.createInbox();
    await expect(inbox.waitForMessage({ subjct: "x" } as never)).rejects.toThrow(TypeError);
    await expect(inbox.waitForMessage({}, { timeout: "5s" } as never)).rejects.toThrow(
      'Expected timeout to be a number of milliseconds >= 0; got "5s"',
    );
    await expect(inbox.waitForMessages(0)).rejects.toThrow(
      "Expected count to be a whole number of messages >= 1",
    );
    await expect(inbox.expectNoMessage({}, { timeout: 5 } as never)).rejects.toThrow(
      'Unknown option "timeout"; expected one of: within, signal',
    );
  });
});

describe("nextMessage (arm, then act)", () => {
  it("resolves with a message that arrived after arming but before the await", async () => {
    const inbox = await server.mail.createInbox();
    const next = inbox.nextMessage({ subject: "reset" });
    await server.send({ to: inbox.address, subject: "Reset your password" });
    // The message is stored now; nobody has awaited `next` yet.
    expect((await inbox.messages()).length).toBe(1);
    expect((await next).subject).toBe("Reset your password");
  });

  it("does not return a message the client had already seen arrive before arming", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({ to: inbox.address, subject: "Old code 111111" });
    await inbox.messages(); // the client has now seen the server's head past the old message
    const next = inbox.nextMessage();
    await server.send({ to: inbox.address, subject: "New code 222222" });
    expect((await next).code()).toBe("222222");
    // The old message was never returned, so the simple form still finds it.
    expect((await inbox.waitForMessage()).code()).toBe("111111");
  });

  it("does not count as unhandled when it times out before it is awaited", async () => {
    const inbox = await server.mail.createInbox();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const next = inbox.nextMessage({}, { timeout: 50 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(unhandled).toEqual([]);
      expect(isWaitTimeoutError(await rejection(next))).toBe(true);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("waitForMessages", () => {
  it("resolves once all of them are there, oldest first", async () => {
    const inbox = await server.mail.createInbox();
    const waiting = inbox.waitForMessages(3, { subject: /^Step/ });
    for (const step of [1, 2, 3, 4]) {
      await server.send({ to: inbox.address, subject: step === 2 ? "Unrelated" : `Step ${step}` });
    }
    expect(subjects(await waiting)).toEqual(["Step 1", "Step 3", "Step 4"]);
  });

  it("gives back the messages it found when it times out, so a later wait can take them", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({ to: inbox.address, subject: "Only one" });
    const error = await rejection(inbox.waitForMessages(2, {}, { timeout: 200 }));
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).matched).toBe(1);
    expect(error.message).toContain("waiting for 2 messages (found 1)");
    expect((await inbox.waitForMessage({}, { timeout: 200 })).subject).toBe("Only one");
  });
});

describe("expectNoMessage", () => {
  it("resolves when nothing matching arrives within the window", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({ to: inbox.address, subject: "Receipt" });
    await inbox.expectNoMessage({ subject: /newsletter/i }, { within: 200 });
    // It returned nothing, so the receipt is still there for a wait.
    expect((await inbox.waitForMessage()).subject).toBe("Receipt");
    await inbox.expectNoMessage({}, { within: 100 });
  });

  it("rejects as soon as a matching message arrives, naming it", async () => {
    const inbox = await server.mail.createInbox();
    const watching = rejection(inbox.expectNoMessage({ subject: "spam" }, { within: 5_000 }));
    await server.send({ to: inbox.address, subject: "Buy spam now" });
    const error = await watching;
    expect(isUnexpectedMessageError(error)).toBe(true);
    expect((error as UnexpectedMessageError).received.subject).toBe("Buy spam now");
    expect(error.message).toMatch(
      new RegExp(
        `^Expected no message with subject "spam" to reach "${inbox.address}" within 5000 ms, but received #\\d+ "Buy spam now" from The App <noreply@app.test>`,
      ),
    );
  });
});

describe("long waits and aborts", () => {
  it("re-issues the long-poll past the server's cap until the message arrives", async () => {
    const capped = await startTestServer({ maxWaitMs: 300 });
    try {
      const inbox = await capped.mail.createInbox();
      const waiting = inbox.waitForMessage({ subject: "late" }, { timeout: 3_000 });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await capped.send({ to: inbox.address, subject: "A late message" });
      expect((await waiting).subject).toBe("A late message");
    } finally {
      await capped.close();
    }
  });

  it("rejects with the signal's reason when aborted, long before its timeout", async () => {
    const inbox = await server.mail.createInbox();
    const controller = new AbortController();
    const waiting = rejection(inbox.waitForMessage({}, { timeout: 60_000, signal: controller.signal }));
    setTimeout(() => controller.abort(new Error("test over")), 100);
    expect((await waiting).message).toBe("test over");
  });

  it("rejects at once with an already aborted signal", async () => {
    const inbox = await server.mail.createInbox();
    const error = await rejection(inbox.waitForMessage({}, { signal: AbortSignal.abort() }));
    expect(error.name).toBe("AbortError");
  });
});

describe("timeout errors", () => {
  it("state the filter, the timeout, the inbox and why each message it held did not count", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({ to: inbox.address, subject: "Welcome, Ada" });
    await inbox.waitForMessage({ subject: "welcome" });
    await server.send({ to: inbox.address, subject: "Reset your password" });
    await server.send({ to: inbox.address, from: "billing@app.test", subject: "Your welcome invoice" });

    const error = await rejection(
      inbox.waitForMessage({ subject: /welcome/i, from: "noreply@" }, { timeout: 300 }),
    );
    expect(isWaitTimeoutError(error)).toBe(true);
    const lines = error.message.split("\n");
    expect(lines[0]).toBe(
      `Timed out after 300 ms waiting for 1 message to "${inbox.address}" with subject /welcome/i, from "noreply@".`,
    );
    expect(lines[1]).toBe("The inbox holds 3 messages:");
    expect(lines.slice(2)).toEqual([
      expect.stringMatching(
        /"Welcome, Ada" from The App <noreply@app\.test> at .*: already returned by an earlier wait on this handle$/,
      ),
      expect.stringMatching(
        /^ {2}- #\d+ "Your welcome invoice" from billing@app\.test at \d\d:\d\d:\d\d\.\d{3}Z: from \(billing@app\.test; envelope billing@app\.test\) does not contain "noreply@"$/,
      ),
      expect.stringMatching(
        /"Reset your password" .*: subject "Reset your password" does not match \/welcome\/i$/,
      ),
    ]);
    const timeout = error as WaitTimeoutError;
    expect([timeout.timeout, timeout.inbox, timeout.inboxCount, timeout.nearMisses.length]).toEqual([
      300,
      inbox.address,
      3,
      3,
    ]);
  });

  it("say that the inbox is empty when it is", async () => {
    const inbox = await server.mail.createInbox();
    const error = await rejection(inbox.waitForMessage(undefined, { timeout: 0 }));
    expect(error.message).toBe(
      `Timed out after 0 ms waiting for 1 message to "${inbox.address}".\nThe inbox is empty.`,
    );
  });

  it("say when a message arrived before an armed wait", async () => {
    const inbox = await server.mail.createInbox();
    await server.send({ to: inbox.address, subject: "Before" });
    await inbox.latest();
    const error = await rejection(inbox.nextMessage({}, { timeout: 100 }));
    expect(error.message).toMatch(/"Before" from .*: arrived before nextMessage\(\) was called$/m);
  });
});
