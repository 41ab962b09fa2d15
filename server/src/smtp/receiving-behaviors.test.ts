import { setTimeout as sleep } from "node:timers/promises";
import type { Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import { describe, expect, it } from "vitest";
import type { FaultLogEntry, FaultRule } from "../faults/fault-rule.js";
import { fetchJson } from "../test-support/fetch-json.js";
import { mailerFor } from "../test-support/mailer.js";
import { SmtpTestClient } from "../test-support/smtp-test-client.js";
import { rfc822, startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";

/**
 * The receiving side behaving like real mail servers (issue #14): greylisting, rate and connection
 * limits, slow answers, mailbox full, unknown users and the blackhole, driven by real clients over
 * real sockets, with delays of tens of milliseconds.
 */

const cleanup = useCleanup();

type Sent = SMTPTransport.SentMessageInfo;

/** An app's queue: on a 4xx it waits (doubling from `firstWaitMs`) and tries again, at most `attempts` times. */
async function sendWithBackoff(
  transport: Transporter<Sent>,
  mail: { to: string; subject: string },
  firstWaitMs: number,
  attempts = 6,
): Promise<{ info: Sent; refusals: string[] }> {
  const refusals: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      const info = await transport.sendMail({ from: "app@example.test", text: "hello", ...mail });
      return { info, refusals };
    } catch (error) {
      const { responseCode = 0, response = "" } = error as { responseCode?: number; response?: string };
      refusals.push(response);
      if (responseCode < 400 || responseCode >= 500 || attempt === attempts) throw error;
      await sleep(firstWaitMs * 2 ** (attempt - 1));
    }
  }
}

async function addRule(url: string, body: unknown, path = "/api/faults"): Promise<FaultRule> {
  const created = await fetchJson<FaultRule>(url, "POST", path, body);
  expect(created.status).toBe(201);
  return created.body;
}

async function faultLog(url: string, inbox?: string): Promise<FaultLogEntry[]> {
  const query = inbox === undefined ? "" : `?inbox=${encodeURIComponent(inbox)}`;
  return (await fetchJson<{ entries: FaultLogEntry[] }>(url, "GET", `/api/faults/log${query}`)).body.entries;
}

describe("greylisting over SMTP", () => {
  it("a client retrying with back-off gets 451 4.7.1 first, is accepted after the delay, the message is stored once and both attempts are logged", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const inbox = "grey@mailnest.test";
    await addRule(sandbox.url, { behavior: "greylist", delayMs: 150 }, `/api/inboxes/${inbox}/faults`);
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
    const started = Date.now();

    const { refusals } = await sendWithBackoff(transport, { to: inbox, subject: "greylisted" }, 10);

    // Retries after 10, 20, 40, 80 ms: at least the first comes too early and is refused again.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    for (const refusal of refusals) expect(refusal).toMatch(/^451 4\.7\.1 Greylisted/);
    const stored = await sandbox.store.list({ limit: 10, inbox });
    expect(stored.messages.map((message) => message.subject)).toEqual(["greylisted"]);
    const log = await faultLog(sandbox.url, inbox);
    expect(log.map((entry) => [entry.behavior, entry.code])).toEqual([
      ...refusals.map(() => ["greylist", 451]),
      ["greylist", 250],
    ]);
    expect(log[0]?.envelope).toMatchObject({
      remoteAddress: "127.0.0.1",
      mailFrom: "app@example.test",
      recipient: inbox,
    });
    expect(log.at(-1)?.message).toMatch(
      /^Greylisting passed: retried \d+ ms after the first attempt \(150 ms required\)$/,
    );
  });
});

describe("rate limits over SMTP", () => {
  it("the limit+1th message in the window gets 421 4.7.0 and the connection is closed", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await addRule(sandbox.url, { behavior: "rate-limit", limit: 3, windowMs: 60_000 });
    const client = await SmtpTestClient.open(sandbox.smtpPort);
    cleanup(() => client.destroy());

    for (let i = 1; i <= 3; i++) {
      const reply = await client.sendMessage({
        from: "app@example.test",
        to: ["someone@mailnest.test"],
        raw: rfc822({ subject: `message ${i}`, body: "x" }),
      });
      expect(reply.code).toBe(250);
    }
    const fourth = await client.command("MAIL FROM:<app@example.test>");
    expect(fourth.raw).toMatch(/^421 4\.7\.0 Too many messages from this sender/);
    await client.closed;

    expect(sandbox.store.messageCount).toBe(3);
    expect((await faultLog(sandbox.url)).map((entry) => [entry.behavior, entry.stage, entry.code])).toEqual([
      ["rate-limit", "mail", 421],
    ]);
  });

  it("nodemailer sees the 421 of a 451-style limit per client as a temporary failure and the next window lets it through", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await addRule(sandbox.url, { behavior: "rate-limit", limit: 1, windowMs: 300, per: "client", code: 451 });
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
    await transport.sendMail({ from: "a@example.test", to: "x@mailnest.test", text: "1" });
    const refused = await transport
      .sendMail({ from: "b@example.test", to: "x@mailnest.test", text: "2" })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ responseCode: 451 });
    expect(String((refused as Error).message)).toMatch(/451 4\.7\.1/);
    await sleep(310);
    await transport.sendMail({ from: "b@example.test", to: "x@mailnest.test", text: "3" });
    expect(sandbox.store.messageCount).toBe(2);
  });

  it("too many parallel connections from one client: the extra one gets 421 4.7.0 instead of the greeting", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await addRule(sandbox.url, { behavior: "connection-limit", limit: 2 });
    const first = await SmtpTestClient.connect(sandbox.smtpPort);
    const second = await SmtpTestClient.connect(sandbox.smtpPort);
    const third = await SmtpTestClient.connect(sandbox.smtpPort);
    for (const { client } of [first, second, third]) cleanup(() => client.destroy());

    expect([first.greeting.code, second.greeting.code]).toEqual([220, 220]);
    expect(third.greeting.raw).toMatch(/^421 4\.7\.0 Too many connections from your address/);
    await third.client.closed;
    // Once one closes, a new connection fits again.
    first.client.destroy();
    await first.client.closed;
    await sleep(20);
    const fourth = await SmtpTestClient.connect(sandbox.smtpPort);
    cleanup(() => fourth.client.destroy());
    expect(fourth.greeting.code).toBe(220);
  });
});

describe("slow answers, mailbox full, unknown users and the blackhole over SMTP", () => {
  it("a slow greeting trips nodemailer's greeting timeout; without the rule it connects", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const rule = await addRule(sandbox.url, { behavior: "slow", stage: "connect", delayMs: 400 });
    const impatient = mailerFor(cleanup, { port: sandbox.smtpPort, greetingTimeout: 50 });

    const error = await impatient
      .sendMail({ from: "a@example.test", to: "x@mailnest.test", text: "x" })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "ETIMEDOUT" });

    await fetchJson(sandbox.url, "DELETE", `/api/faults/${rule.id}`);
    await impatient.sendMail({ from: "a@example.test", to: "x@mailnest.test", text: "x" });
    expect((await faultLog(sandbox.url))[0]).toMatchObject({
      behavior: "slow",
      stage: "connect",
      code: null,
    });
  });

  it("a tarpit answers each RCPT later than the one before", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await addRule(sandbox.url, { behavior: "tarpit", delayMs: 25 });
    const client = await SmtpTestClient.open(sandbox.smtpPort);
    cleanup(() => client.destroy());
    expect((await client.command("MAIL FROM:<app@example.test>")).code).toBe(250);
    for (const recipient of ["a", "b", "c"]) {
      expect((await client.command(`RCPT TO:<${recipient}@mailnest.test>`)).code).toBe(250);
    }
    expect((await faultLog(sandbox.url)).map((entry) => entry.message)).toEqual([
      "Reply delayed by 25 ms",
      "Reply delayed by 50 ms",
      "Reply delayed by 75 ms",
    ]);
  });

  it("mailbox full and unknown users refuse the recipient with 452 4.2.2 and 550 5.1.1; others still get the message", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await addRule(sandbox.url, { behavior: "mailbox-full" }, "/api/inboxes/full%40mailnest.test/faults");
    await addRule(sandbox.url, { behavior: "unknown-user", pattern: "gone-*@mailnest.test" });
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });

    const info = await transport.sendMail({
      from: "app@example.test",
      to: ["full@mailnest.test", "gone-ann@mailnest.test", "here@mailnest.test"],
      text: "x",
    });

    expect(info.accepted).toEqual(["here@mailnest.test"]);
    expect(info.rejectedErrors?.map((error) => (error as { response?: string }).response)).toEqual([
      expect.stringMatching(/^452 4\.2\.2 Mailbox full/),
      expect.stringMatching(/^550 5\.1\.1 No such user here/),
    ]);
    expect(sandbox.store.messageCount).toBe(1);
  });

  it("a blackhole answers 250 and keeps nothing; the fault log says it happened", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await addRule(sandbox.url, { behavior: "blackhole" }, "/api/inboxes/void%40mailnest.test/faults");
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });

    const info = await transport.sendMail({ from: "app@example.test", to: "void@mailnest.test", text: "x" });

    expect(info.response).toMatch(/^250 2\.6\.0 Ok: queued as [0-9a-z]{26}$/);
    expect(sandbox.store.messageCount).toBe(0);
    expect((await sandbox.store.list({ limit: 10, inbox: "void@mailnest.test" })).messages).toEqual([]);
    expect(await faultLog(sandbox.url, "void@mailnest.test")).toEqual([
      expect.objectContaining({
        behavior: "blackhole",
        stage: "data",
        code: 250,
        inboxes: ["void@mailnest.test"],
      }),
    ]);
  });
});
