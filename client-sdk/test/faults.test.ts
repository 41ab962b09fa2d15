import { setTimeout as sleep } from "node:timers/promises";
import nodemailer, { type Transporter } from "nodemailer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpError } from "../src/index.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
const transports: Transporter[] = [];

beforeAll(async () => {
  server = await startTestServer({ starttls: true });
});

afterAll(async () => {
  for (const transport of transports) transport.close();
  await server?.close();
});

beforeEach(async () => {
  await server.mail.faults.clear();
  await server.mail.faults.clearLog();
});

/** An app's SMTP client: STARTTLS without verifying the sandbox's self-signed certificate, optional AUTH. */
function appTransport(auth?: { user: string; pass: string }) {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: server.sandbox.smtpPort,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    ...(auth ? { auth } : {}),
  });
  transports.push(transport);
  return transport;
}

/** Sends, retrying a 4xx with growing delays the way a mail queue does; returns the codes it met. */
async function sendWithRetry(to: string, subject: string): Promise<number[]> {
  const failures: number[] = [];
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      await appTransport().sendMail({ from: "app@example.test", to, subject, text: "x" });
      return failures;
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode ?? 0;
      failures.push(code);
      if (code < 400 || code >= 500) throw error;
      await sleep(10 * 2 ** attempt);
    }
  }
  throw new Error(`gave up after ${failures.join(", ")}`);
}

describe("inbox.failNext and inbox.faults", () => {
  it("two 451s at rcpt, then the retried message arrives once, and the inbox's fault log shows both", async () => {
    const inbox = await server.mail.createInbox({ prefix: "retry" });
    const rule = await inbox.failNext({ stage: "rcpt", code: 451, message: "try again later", times: 2 });
    expect(rule).toMatchObject({ inbox: inbox.address, remaining: 2, stage: "rcpt", code: 451 });

    expect(await sendWithRetry(inbox.address, "after retries")).toEqual([451, 451]);

    const message = await inbox.waitForMessage({ subject: "after retries" });
    expect(message.tls).toMatchObject({ implicit: false, protocol: expect.stringMatching(/^TLSv1\.[23]$/) });
    await inbox.expectNoMessage({}, { within: 200 });
    const faults = await inbox.faults();
    expect(faults.map((fault) => [fault.stage, fault.code, fault.message])).toEqual([
      ["rcpt", 451, "try again later"],
      ["rcpt", 451, "try again later"],
    ]);
    expect(faults[0]?.at).toBeInstanceOf(Date);
    expect(faults[0]?.envelope).toMatchObject({ recipient: inbox.address, tls: true });
    expect(await server.mail.faults.list()).toEqual([]);
  });

  it("a 550 makes the app's send fail for good, and nothing arrives", async () => {
    const inbox = await server.mail.createInbox();
    await inbox.failNext({ stage: "rcpt", code: 550 });
    await expect(
      appTransport().sendMail({ from: "app@example.test", to: inbox.address, text: "x" }),
    ).rejects.toMatchObject({ responseCode: 550 });
    await inbox.expectNoMessage({}, { within: 200 });
    expect((await inbox.faults()).map((fault) => fault.code)).toEqual([550]);
  });

  it("rejects options it cannot send with a TypeError that says what it expected", async () => {
    const inbox = await server.mail.createInbox();
    await expect(inbox.failNext({ stage: "rcpt" } as never)).rejects.toThrow(
      "Expected failNext code to be an SMTP reply code from 400 to 599; got undefined",
    );
    await expect(inbox.failNext({ stage: "later", code: 451 } as never)).rejects.toThrow(TypeError);
    await expect(inbox.failNext({ stage: "disconnect", code: 421 })).rejects.toThrow(
      /leave out failNext code/,
    );
    await expect(inbox.failNext({ stage: "rcpt", code: 451, inbox: "x@y.test" } as never)).rejects.toThrow(
      'Unknown failNext option "inbox"',
    );
    // What only the server knows is checked there: no recipient exists at MAIL FROM.
    await expect(inbox.failNext({ stage: "mail", code: 451 })).rejects.toBeInstanceOf(HttpError);
  });
});

describe("mail.faults", () => {
  it("adds, lists, removes and clears rules", async () => {
    const first = await server.mail.faults.add({ stage: "data", code: 554, inbox: "a@x.test", times: 3 });
    const chaos = await server.mail.faults.chaos({ stage: "rcpt", code: 421, probability: 0 });
    expect(first.createdAt).toBeInstanceOf(Date);
    expect(chaos).toMatchObject({ times: null, remaining: null, probability: 0, inbox: null });
    expect((await server.mail.faults.list()).map((rule) => rule.id)).toEqual([first.id, chaos.id]);

    expect(await server.mail.faults.remove(first.id)).toBe(true);
    expect(await server.mail.faults.remove(first.id)).toBe(false);
    expect(await server.mail.faults.clear()).toBe(1);
    expect(await server.mail.faults.list()).toEqual([]);
  });

  it("the log lists every injected fault, filtered by inbox, and can be cleared", async () => {
    await server.mail.faults.add({ stage: "data", code: 451, probability: 1, times: 2 });
    const [a, b] = [await server.mail.createInbox(), await server.mail.createInbox()];
    for (const to of [a.address, b.address]) {
      await expect(
        appTransport().sendMail({ from: "app@example.test", to, text: "x" }),
      ).rejects.toMatchObject({
        responseCode: 451,
      });
    }
    expect((await server.mail.faults.log()).map((fault) => fault.inboxes)).toEqual([
      [a.address],
      [b.address],
    ]);
    expect((await server.mail.faults.log({ inbox: b.address })).map((fault) => fault.stage)).toEqual([
      "data",
    ]);
    expect(await server.mail.faults.clearLog()).toBe(2);
    expect(await a.faults()).toEqual([]);
  });
});

describe("the authUser filter", () => {
  it("waits and lists by the SMTP AUTH user, on the server and in the client", async () => {
    const inbox = await server.mail.createInbox();
    for (const user of ["alice", "bob"]) {
      await appTransport({ user, pass: "x" }).sendMail({
        from: "app@example.test",
        to: inbox.address,
        subject: user,
        text: "x",
      });
    }
    const fromBob = await inbox.waitForMessage({ authUser: "bob" });
    expect(fromBob).toMatchObject({ subject: "bob", authUser: "bob" });
    expect((await inbox.messages({ authUser: "alice" })).map((message) => message.subject)).toEqual([
      "alice",
    ]);
    // A timeout explains which user each message came from.
    await expect(inbox.waitForMessage({ authUser: "carol" }, { timeout: 300 })).rejects.toThrow(
      /"alice" from app@example\.test at .*: authUser "alice" is not "carol"/,
    );
    await expect(inbox.messages({ authUser: 42 } as never)).rejects.toThrow(
      "Expected filter.authUser to be an SMTP AUTH user name; got number 42",
    );
  });
});
