import { describe, expect, it } from "vitest";
import { runCli } from "../test-support/cli-process.js";
import { fetchJson } from "../test-support/fetch-json.js";
import { freePort } from "../test-support/free-port.js";
import { mailerFor } from "../test-support/mailer.js";
import { messagesIn } from "../test-support/report-kit.js";
import { startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";
import type { ReportLogEntry } from "./report-rule.js";

/**
 * `--report-relay`: each report is also sent on over SMTP (to the app's own inbound endpoint; here
 * a second Mailnest plays it), with the null sender, retried when the endpoint is away, and never
 * the start of a loop.
 */

const cleanup = useCleanup();

async function logWhen(
  url: string,
  done: (entries: ReportLogEntry[]) => boolean,
  timeoutMs = 5_000,
): Promise<ReportLogEntry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { entries } = (await fetchJson<{ entries: ReportLogEntry[] }>(url, "GET", "/api/reports/log")).body;
    if (done(entries) || Date.now() > deadline) return entries;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("reports sent on over SMTP", () => {
  it("a bounce reaches the relay with MAIL FROM:<> and the log follows the delivery to `delivered`", async () => {
    const endpoint = await startTestSandbox(cleanup, { simulator: { enabled: false, prefix: "" } });
    const sandbox = await startTestSandbox(cleanup, {
      reportRelay: `smtp://127.0.0.1:${endpoint.smtpPort}?starttls=off`,
    });
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
    await transport.sendMail({ from: "bounces+7@app.test", to: "bounce@customer.test", text: "x" });

    const [relayed] = await messagesIn(endpoint, "bounces+7@app.test", 1);
    expect(relayed?.envelope).toMatchObject({ mailFrom: "", rcptTo: ["bounces+7@app.test"] });
    expect(relayed?.subject).toBe("Undelivered Mail Returned to Sender");
    const [entry] = await logWhen(sandbox.url, (entries) => entries[0]?.forward?.state === "delivered");
    expect(entry?.forward).toMatchObject({ state: "delivered", attempts: 1, lastError: null });
    expect(entry?.report?.messageId).toBe(relayed?.messageId);
  });

  it("an auto-reply relayed to a server that auto-replies to everything is not answered: no loop", async () => {
    const other = await startTestSandbox(cleanup);
    await fetchJson(other.url, "POST", "/api/reports", { kind: "auto-reply", probability: 1 });
    const sandbox = await startTestSandbox(cleanup, {
      reportRelay: `smtp://127.0.0.1:${other.smtpPort}?starttls=off`,
    });
    await fetchJson(sandbox.url, "POST", "/api/reports", { kind: "auto-reply", probability: 1 });
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
    await transport.sendMail({ from: "alice@one.test", to: "bob@two.test", subject: "hi", text: "x" });

    // The auto-reply from bob is stored here and relayed there, where it is not answered.
    const [reply] = await messagesIn(sandbox, "alice@one.test", 1);
    expect(reply?.envelope.mailFrom).toBe("");
    await messagesIn(other, "alice@one.test", 1);
    const otherLog = await logWhen(other.url, (entries) => entries.length > 0);
    expect(otherLog).toEqual([
      expect.objectContaining({
        kind: "auto-reply",
        outcome: "skipped",
        note: expect.stringMatching(/null sender <>/),
      }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sandbox.store.messageCount).toBe(2);
    expect(other.store.messageCount).toBe(1);
  });

  it("an endpoint that is away: the delivery is retried with backoff and logged, then delivered", async () => {
    const endpoint = await startTestSandbox(cleanup, { simulator: { enabled: false, prefix: "" } });
    await fetchJson(endpoint.url, "POST", "/api/faults", { stage: "rcpt", code: 451, times: 2 });
    const sandbox = await startTestSandbox(cleanup, {
      reportRelay: `smtp://127.0.0.1:${endpoint.smtpPort}?starttls=off`,
    });
    await fetchJson(sandbox.url, "POST", "/api/reports", { kind: "bounce" });
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
    await transport.sendMail({ from: "app@example.test", to: "x@customer.test", text: "x" });

    await messagesIn(endpoint, "app@example.test", 1, 15_000);
    const [entry] = await logWhen(sandbox.url, (entries) => entries[0]?.forward?.state === "delivered");
    expect(entry?.forward).toMatchObject({ state: "delivered", attempts: 3 });
  }, 30_000);

  it("a relay that is this sandbox's own SMTP listener is refused at start", async () => {
    const port = await freePort();
    await expect(
      startTestSandbox(cleanup, { smtpPort: port, reportRelay: `smtp://127.0.0.1:${port}?starttls=off` }),
    ).rejects.toThrow(/is this sandbox's own SMTP listener/);
  });

  it("the CLI says so in one line, without a stack trace", async () => {
    const port = await freePort();
    const result = await runCli([
      "--in-memory",
      "--smtp-port",
      String(port),
      "--http-port",
      "0",
      "--report-relay",
      `smtp://127.0.0.1:${port}?starttls=off`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^mailnest: could not start: --report-relay .* is this sandbox's own SMTP listener/,
      ),
    ]);
  });
});
