/**
 * Issue #18, part 2: report rules added through the API, and the report log, are the sandbox's when
 * several `mailnest` processes share one PostgreSQL database (docs/scaling.md, "Report rules"): a
 * rule for N messages makes N reports whichever instances the mail arrives at, and every instance
 * lists the same rules and log.
 */
import type { ReportLogEntry, ReportRule } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { fetchJson } from "../test-support/fetch-json.js";
import { mailerFor } from "../test-support/mailer.js";
import { type MailnestInstance, startInstances } from "../test-support/mailnest-instances.js";
import { createTestDatabase } from "../test-support/postgres/use-test-database.js";
import { useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();

async function send(instance: MailnestInstance, subject: string): Promise<void> {
  await mailerFor(cleanup, { port: instance.smtpPort }).sendMail({
    from: "app@example.test",
    to: "gone@example.test",
    subject,
    text: subject,
  });
}

const rulesOn = async (instance: MailnestInstance) =>
  (await fetchJson<{ rules: ReportRule[] }>(instance.url, "GET", "/api/reports")).body.rules;
const logOn = async (instance: MailnestInstance) =>
  (await fetchJson<{ entries: ReportLogEntry[] }>(instance.url, "GET", "/api/reports/log")).body.entries;

describe("report rules with three instances on one database", () => {
  it("a rule for 3 bounces added on A makes 3 in all for 8 messages sent at once through A, B and C; all list one log", async () => {
    const database = await createTestDatabase(cleanup);
    const instances = await startInstances(cleanup, database.url, ["A", "B", "C"]);
    const [a, b, c] = instances as [MailnestInstance, MailnestInstance, MailnestInstance];

    const added = await fetchJson<ReportRule>(a.url, "POST", "/api/reports", {
      kind: "bounce",
      to: "gone@example.test",
      times: 3,
    });
    expect(added.status).toBe(201);
    await expect
      .poll(async () => (await rulesOn(c)).map((rule) => rule.id), { timeout: 10_000 })
      .toEqual([added.body.id]);

    // At once, so that instances race for the rule's last uses.
    await Promise.all(Array.from({ length: 8 }, (_, i) => send(instances[i % 3]!, `message ${i}`)));
    await expect
      .poll(async () => (await logOn(b)).filter((entry) => entry.outcome === "sent").length, {
        timeout: 30_000,
      })
      .toBe(3);
    // The rule is used up, for everyone.
    await expect.poll(() => rulesOn(b), { timeout: 10_000 }).toEqual([]);
    await expect.poll(() => rulesOn(a), { timeout: 10_000 }).toEqual([]);
    // Each bounce is a message in the shared store, to the sender (on C a moment later).
    const bouncesOnC = async () =>
      (await fetchJson<{ messages: unknown[] }>(c.url, "GET", "/api/inboxes/app@example.test/messages")).body
        .messages.length;
    await expect.poll(bouncesOnC, { timeout: 10_000 }).toBe(3);
    // One log, the same sequence numbers everywhere.
    const sequences = async (instance: MailnestInstance) =>
      (await logOn(instance)).map((entry) => [entry.sequence, entry.outcome, entry.report?.id ?? null]);
    await expect.poll(() => sequences(a), { timeout: 10_000 }).toEqual(await sequences(b));
    await expect.poll(() => sequences(c), { timeout: 10_000 }).toEqual(await sequences(b));

    // Clearing the log through C clears it for A.
    const cleared = await fetchJson<{ deleted: number }>(c.url, "DELETE", "/api/reports/log");
    expect(cleared.body.deleted).toBe(3);
    await expect.poll(() => logOn(a), { timeout: 10_000 }).toEqual([]);
  }, 180_000);
});
