import { setTimeout as sleep } from "node:timers/promises";
import type { Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import { describe, expect, it } from "vitest";
import type { MailnestEvents } from "../events/bus.js";
import type { FaultLogEntry, FaultRule } from "../faults/fault-rule.js";
import { startSandbox } from "../sandbox.js";
import { fetchJson } from "../test-support/fetch-json.js";
import { mailerFor } from "../test-support/mailer.js";
import { SmtpTestClient } from "../test-support/smtp-test-client.js";
import {
  filesContaining,
  rfc822,
  startTestSandbox,
  tempDir,
  testConfig,
  useCleanup,
} from "../test-support/test-sandbox.js";

const cleanup = useCleanup();

const inboxPath = (address: string) => `/api/inboxes/${encodeURIComponent(address)}`;

async function openClient(port: number): Promise<SmtpTestClient> {
  const client = await SmtpTestClient.open(port);
  cleanup(() => client.destroy());
  return client;
}

/**
 * How an app's mail queue behaves: a 4xx is temporary, so it waits (doubling the delay) and tries
 * again; a 5xx, or running out of attempts, is final.
 */
async function sendWithRetry(
  transport: Transporter<SMTPTransport.SentMessageInfo>,
  mail: { to: string; subject: string },
  attempts = 5,
): Promise<{ info: SMTPTransport.SentMessageInfo; failures: number[] }> {
  const failures: number[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      const info = await transport.sendMail({ from: "app@example.test", text: "retried", ...mail });
      return { info, failures };
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode ?? 0;
      failures.push(code);
      if (code < 400 || code >= 500 || attempt === attempts) throw error;
      await sleep(10 * 2 ** attempt);
    }
  }
}

describe("fault injection over SMTP", () => {
  it("times: 2 at rcpt with 451: a retrying client is refused twice, then delivered once", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const rejected: Array<MailnestEvents["smtp.rejected"]> = [];
    sandbox.bus.on("smtp.rejected", (event) => rejected.push(event));
    const inbox = "retry@mailnest.test";
    const created = await fetchJson<FaultRule>(sandbox.url, "POST", `${inboxPath(inbox)}/faults`, {
      stage: "rcpt",
      code: 451,
      message: "try again later",
      times: 2,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ inbox, remaining: 2 });

    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
    const { failures } = await sendWithRetry(transport, { to: inbox, subject: "eventually" });

    expect(failures).toEqual([451, 451]);
    const stored = await sandbox.store.list({ limit: 10, inbox });
    expect(stored.messages.map((message) => message.subject)).toEqual(["eventually"]);
    const log = await fetchJson<{ entries: FaultLogEntry[] }>(
      sandbox.url,
      "GET",
      `${inboxPath(inbox)}/faults`,
    );
    expect(log.body.entries.map((entry) => [entry.stage, entry.code, entry.message])).toEqual([
      ["rcpt", 451, "try again later"],
      ["rcpt", 451, "try again later"],
    ]);
    expect(log.body.entries[0]?.envelope).toMatchObject({ mailFrom: "app@example.test", recipient: inbox });
    expect((await fetchJson<{ rules: FaultRule[] }>(sandbox.url, "GET", "/api/faults")).body.rules).toEqual(
      [],
    );
    expect(rejected).toEqual([
      { reason: "fault", code: 451 },
      { reason: "fault", code: 451 },
    ]);
  });

  it("a 550 at rcpt makes nodemailer reject with the 550, and nothing is stored", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await fetchJson(sandbox.url, "POST", "/api/faults", {
      stage: "rcpt",
      code: 550,
      to: "gone@mailnest.test",
    });
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });

    const error = await transport
      .sendMail({ from: "app@example.test", to: "gone@mailnest.test", text: "x" })
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ responseCode: 550, rejected: ["gone@mailnest.test"] });
    expect(String((error as Error).message)).toMatch(
      /550 5\.1\.1 Permanent failure injected by Mailnest fault flt_/,
    );
    expect(sandbox.store.messageCount).toBe(0);
  });

  it("data: the answer after the final dot is the fault, and nothing of the message is kept", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await fetchJson(sandbox.url, "POST", "/api/faults", {
      stage: "data",
      code: 554,
      message: "content rejected",
    });
    const client = await openClient(sandbox.smtpPort);

    const reply = await client.sendMessage({
      from: "app@example.test",
      to: ["a@mailnest.test", "b@mailnest.test"],
      raw: rfc822({ subject: "refused", body: "marker-data-7f3a" }),
    });

    expect(reply.code).toBe(554);
    expect(reply.lines[0]).toMatch(/content rejected$/);
    expect(sandbox.store.messageCount).toBe(0);
    await sandbox.faults.flushed();
    expect(await filesContaining(sandbox.dataDir, "marker-data-7f3a")).toEqual([]);
    const log = await fetchJson<{ entries: FaultLogEntry[] }>(
      sandbox.url,
      "GET",
      "/api/faults/log?inbox=b%40mailnest.test",
    );
    expect(log.body.entries).toEqual([
      expect.objectContaining({ stage: "data", code: 554, inboxes: ["a@mailnest.test", "b@mailnest.test"] }),
    ]);
    // The connection goes on: the next message is delivered.
    const next = await client.sendMessage({
      from: "app@example.test",
      to: ["a@mailnest.test"],
      raw: rfc822({ subject: "accepted", body: "x" }),
    });
    expect(next.code).toBe(250);
  });

  it("disconnect: the connection drops mid-DATA without a reply, nothing is stored, the server keeps serving", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await fetchJson(sandbox.url, "POST", `${inboxPath("drop@mailnest.test")}/faults`, {
      stage: "disconnect",
    });
    const client = await openClient(sandbox.smtpPort);
    expect((await client.command("MAIL FROM:<app@example.test>")).code).toBe(250);
    expect((await client.command("RCPT TO:<drop@mailnest.test>")).code).toBe(250);
    expect((await client.command("DATA")).code).toBe(354);

    client.write(rfc822({ subject: "half", body: "marker-drop-91c2" }));
    await client.closed;

    await expect(client.readReply()).rejects.toThrow(/closed/);
    expect(sandbox.store.messageCount).toBe(0);
    await sandbox.faults.flushed();
    expect(await filesContaining(sandbox.dataDir, "marker-drop-91c2")).toEqual([]);
    const again = await openClient(sandbox.smtpPort);
    const reply = await again.sendMessage({
      from: "app@example.test",
      to: ["drop@mailnest.test"],
      raw: rfc822({ subject: "second try", body: "x" }),
    });
    expect(reply.code).toBe(250);
    const log = await fetchJson<{ entries: FaultLogEntry[] }>(
      sandbox.url,
      "GET",
      `${inboxPath("drop@mailnest.test")}/faults`,
    );
    expect(log.body.entries).toEqual([expect.objectContaining({ stage: "disconnect", code: null })]);
  });

  it("connect: the greeting is replaced by the fault and the connection closed", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await fetchJson(sandbox.url, "POST", "/api/faults", { stage: "connect", code: 421, message: "too busy" });

    const { client, greeting } = await SmtpTestClient.connect(sandbox.smtpPort);
    cleanup(() => client.destroy());
    expect(greeting.code).toBe(421);
    expect(greeting.lines[0]).toBe("too busy");
    await client.closed;
    const next = await SmtpTestClient.connect(sandbox.smtpPort);
    cleanup(() => next.client.destroy());
    expect(next.greeting.code).toBe(220);
  });

  it("mail: a rule for one sender refuses only that sender", async () => {
    const sandbox = await startTestSandbox(cleanup);
    await fetchJson(sandbox.url, "POST", "/api/faults", {
      stage: "mail",
      code: 553,
      from: "Blocked@Example.test",
      times: 5,
    });
    const client = await openClient(sandbox.smtpPort);
    expect((await client.command("MAIL FROM:<blocked@example.test>")).code).toBe(553);
    expect((await client.command("MAIL FROM:<fine@example.test>")).code).toBe(250);
  });

  it("probability 1 fails every message and probability 0 none", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
    const send = (to: string) =>
      transport.sendMail({ from: "app@example.test", to, text: "x" }).then(
        () => 250,
        (error: { responseCode?: number }) => error.responseCode,
      );
    await fetchJson(sandbox.url, "POST", "/api/faults", {
      stage: "rcpt",
      code: 452,
      to: "always@x.test",
      probability: 1,
    });
    await fetchJson(sandbox.url, "POST", "/api/faults", {
      stage: "rcpt",
      code: 452,
      to: "never@x.test",
      probability: 0,
    });

    const codes = [];
    for (let i = 0; i < 3; i++) codes.push(await send("always@x.test"), await send("never@x.test"));

    expect(codes).toEqual([452, 250, 452, 250, 452, 250]);
    const rules = (await fetchJson<{ rules: FaultRule[] }>(sandbox.url, "GET", "/api/faults")).body.rules;
    expect(rules.map((rule) => [rule.inbox, rule.remaining, rule.triggered])).toEqual([
      ["always@x.test", null, 3],
      ["never@x.test", null, 0],
    ]);
  });

  it("rules and the fault log survive a restart, and can be cleared", async () => {
    const dataDir = await tempDir(cleanup);
    const first = await startSandbox(testConfig(dataDir));
    await fetchJson(first.url, "POST", "/api/faults", {
      stage: "rcpt",
      code: 451,
      to: "later@x.test",
      times: 2,
    });
    const client = await SmtpTestClient.open(first.smtpPort);
    expect(
      (
        await client.sendMessage({
          from: "a@x.test",
          to: ["later@x.test"],
          raw: rfc822({ subject: "s", body: "b" }),
        })
      ).code,
    ).toBe(451);
    client.destroy();
    await first.close();

    const second = await startSandbox(testConfig(dataDir));
    cleanup(() => second.close());
    const rules = await fetchJson<{ rules: FaultRule[] }>(second.url, "GET", "/api/faults");
    expect(rules.body.rules).toEqual([expect.objectContaining({ inbox: "later@x.test", remaining: 1 })]);
    expect(
      (await fetchJson<{ entries: FaultLogEntry[] }>(second.url, "GET", "/api/faults/log")).body.entries,
    ).toHaveLength(1);
    const again = await openClient(second.smtpPort);
    expect(
      (
        await again.sendMessage({
          from: "a@x.test",
          to: ["later@x.test"],
          raw: rfc822({ subject: "s", body: "b" }),
        })
      ).code,
    ).toBe(451);

    expect((await fetchJson(second.url, "DELETE", "/api/faults/log")).body).toEqual({ deleted: 2 });
    expect((await fetchJson(second.url, "DELETE", "/api/faults")).body).toEqual({ deleted: 0 });
  });

  it("--chaos rules apply to every message, are listed as cli rules, and are not saved", async () => {
    const dataDir = await tempDir(cleanup);
    const chaotic = await startSandbox(
      testConfig(dataDir, { chaos: [{ stage: "rcpt", code: 421, probability: 1 }] }),
    );
    const client = await SmtpTestClient.open(chaotic.smtpPort);
    cleanup(() => client.destroy());
    expect((await client.command("MAIL FROM:<a@x.test>")).code).toBe(250);
    expect((await client.command("RCPT TO:<anyone@x.test>")).code).toBe(421);
    const rules = (await fetchJson<{ rules: FaultRule[] }>(chaotic.url, "GET", "/api/faults")).body.rules;
    expect(rules).toEqual([
      expect.objectContaining({ origin: "cli", probability: 1, times: null, inbox: null }),
    ]);
    client.destroy();
    await chaotic.close();

    const calm = await startSandbox(testConfig(dataDir));
    cleanup(() => calm.close());
    expect((await fetchJson<{ rules: FaultRule[] }>(calm.url, "GET", "/api/faults")).body.rules).toEqual([]);
  });

  it("works the same on the implicit-TLS listener", async () => {
    const sandbox = await startTestSandbox(cleanup, { smtpsPort: 0 });
    await fetchJson(sandbox.url, "POST", "/api/faults", { stage: "rcpt", code: 450, to: "tls@x.test" });
    const transport = mailerFor(cleanup, {
      port: sandbox.smtpsPort ?? 0,
      secure: true,
      tls: { rejectUnauthorized: false },
    });
    await expect(transport.sendMail({ from: "a@x.test", to: "tls@x.test", text: "x" })).rejects.toMatchObject(
      {
        responseCode: 450,
      },
    );
    const [entry] = (await fetchJson<{ entries: FaultLogEntry[] }>(sandbox.url, "GET", "/api/faults/log"))
      .body.entries;
    expect(entry?.envelope.tls).toBe(true);
  });
});
