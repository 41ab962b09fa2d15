import { setTimeout as sleep } from "node:timers/promises";
import nodemailer, { type Transporter } from "nodemailer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpError } from "../src/index.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

/** The SDK's side of issue #14: reports after the 250, and a receiving side like real servers. */

let server: TestServer;
const transports: Transporter[] = [];

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  for (const transport of transports) transport.close();
  await server?.close();
});

beforeEach(async () => {
  await server.mail.reports.clear();
  await server.mail.faults.clear();
});

function transport(): Transporter {
  const made = nodemailer.createTransport({
    host: "127.0.0.1",
    port: server.sandbox.smtpPort,
    ignoreTLS: true,
  });
  transports.push(made);
  return made;
}

describe("reports after the 250", () => {
  it("inbox.bounceNext(): the app's bounce address receives a DSN about the message, and inbox.reports() logs it", async () => {
    const customer = await server.mail.createInbox({ prefix: "customer" });
    const bounces = await server.mail.createInbox({ prefix: "bounces" });
    const rule = await customer.bounceNext({ status: "5.1.1" });
    expect(rule).toMatchObject({ kind: "bounce", inbox: customer.address, status: "5.1.1", remaining: 1 });
    expect(rule.createdAt).toBeInstanceOf(Date);

    const sent = await transport().sendMail({
      envelope: { from: bounces.address, to: [customer.address] },
      from: "shop@app.test",
      to: customer.address,
      subject: "Your receipt",
      text: "x",
    });

    const dsn = await bounces.waitForMessage({ subject: /Undelivered Mail/ });
    expect(dsn.from).toMatchObject({ address: expect.stringMatching(/^MAILER-DAEMON@/) });
    expect(dsn.headers.get("In-Reply-To")).toBe(sent.messageId);
    const [entry] = await customer.reports();
    expect(entry).toMatchObject({
      kind: "bounce",
      action: "failed",
      outcome: "sent",
      report: { id: dsn.id },
    });
    expect(entry?.at).toBeInstanceOf(Date);
    expect(await server.mail.reports.list()).toEqual([]);
  });

  it("inbox.delayNext({ failAfter }) brings a delay warning, then the bounce; inbox.autoReply() answers every message", async () => {
    const customer = await server.mail.createInbox({ prefix: "away" });
    const app = await server.mail.createInbox({ prefix: "app" });
    await customer.delayNext({ delay: 10, failAfter: 30 });
    await customer.autoReply({ subject: "Away until Monday" });
    for (const subject of ["one", "two"]) {
      await transport().sendMail({ from: app.address, to: customer.address, subject, text: "x" });
    }
    // Two auto-replies; one delay warning and one bounce (the delay rule is for the next message only).
    const subjects = (await app.waitForMessages(4)).map((message) => message.subject).sort();
    expect(subjects).toEqual([
      "Away until Monday",
      "Away until Monday",
      "Delayed Mail (still being retried)",
      "Undelivered Mail Returned to Sender",
    ]);
  });

  it("mail.reports.simulator() lists the built-in addresses", async () => {
    const info = await server.mail.reports.simulator();
    expect(info).toMatchObject({ enabled: true, prefix: "" });
    expect(info.mailboxes.map((mailbox) => mailbox.name)).toEqual([
      "bounce",
      "suppressed",
      "delayed",
      "complaint",
      "ooto",
    ]);
  });

  it("bad options are refused before any request with a TypeError, and the server's 400 names the field", async () => {
    const inbox = await server.mail.createInbox();
    await expect(inbox.bounceNext({ colour: "red" } as never)).rejects.toThrow(
      /Unknown bounceNext option "colour"/,
    );
    await expect(inbox.bounceNext({ delay: "1s" } as never)).rejects.toThrow(
      /Expected bounceNext delay to be a number/,
    );
    const refused = await inbox.bounceNext({ status: "4.1.1" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HttpError);
    expect(String((refused as Error).message)).toMatch(/"status"/);
  });
});

describe("a receiving side like real mail servers", () => {
  it("inbox.greylist({ delay }): refused with 451 first, accepted after the delay; inbox.faults() shows both", async () => {
    const inbox = await server.mail.createInbox({ prefix: "grey" });
    await inbox.greylist({ delay: 60 });
    const first = await transport()
      .sendMail({ from: "app@example.test", to: inbox.address, text: "x" })
      .catch((error: unknown) => error);
    expect(first).toMatchObject({ responseCode: 451 });
    await sleep(70);
    await transport().sendMail({
      from: "app@example.test",
      to: inbox.address,
      subject: "retried",
      text: "x",
    });
    expect((await inbox.waitForMessage()).subject).toBe("retried");
    expect((await inbox.faults()).map((fault) => [fault.behavior, fault.code])).toEqual([
      ["greylist", 451],
      ["greylist", 250],
    ]);
  });

  it("mail.rateLimit(): the message after `max` in the window gets 421", async () => {
    await server.mail.rateLimit({ max: 1, window: 60_000, per: "sender" });
    const sender = transport();
    await sender.sendMail({ from: "busy@example.test", to: "x@mailnest.test", text: "1" });
    const refused = await sender
      .sendMail({ from: "busy@example.test", to: "x@mailnest.test", text: "2" })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ responseCode: 421 });
    await expect(server.mail.rateLimit({ max: -1 })).rejects.toThrow(TypeError);
  });

  it("inbox.mailboxFull() and inbox.blackhole()", async () => {
    const full = await server.mail.createInbox({ prefix: "full" });
    const hole = await server.mail.createInbox({ prefix: "hole" });
    await full.mailboxFull({ permanent: true });
    await hole.blackhole();
    const refused = await transport()
      .sendMail({ from: "app@example.test", to: full.address, text: "x" })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ responseCode: 552 });
    await transport().sendMail({ from: "app@example.test", to: hole.address, text: "x" });
    await hole.expectNoMessage(undefined, { within: 100 });
    expect((await hole.faults()).map((fault) => [fault.behavior, fault.code])).toEqual([["blackhole", 250]]);
  });
});
