import { describe, expect, it } from "vitest";
import { parseGreylist } from "../cli/parse-after-acceptance.js";
import type { FaultLogEntry, FaultRule } from "../faults/fault-rule.js";
import { fetchJson } from "../test-support/fetch-json.js";
import { mailerFor } from "../test-support/mailer.js";
import { createTestDatabase } from "../test-support/postgres/use-test-database.js";
import { startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();

/** How long a change may take to reach another instance on a loaded machine. */
const PROPAGATION = { timeout: 15_000 };

/** Two sandboxes on one fresh database: two instances of one shared sandbox. */
async function twoInstances() {
  const database = await createTestDatabase(cleanup);
  const a = await startTestSandbox(cleanup, { databaseUrl: database.url });
  const b = await startTestSandbox(cleanup, { databaseUrl: database.url });
  return [a, b] as const;
}

async function rulesOf(url: string): Promise<FaultRule[]> {
  return (await fetchJson<{ rules: FaultRule[] }>(url, "GET", "/api/faults")).body.rules;
}

async function logOf(url: string): Promise<FaultLogEntry[]> {
  return (await fetchJson<{ entries: FaultLogEntry[] }>(url, "GET", "/api/faults/log")).body.entries;
}

/** Sends one message; resolves with the reply code of a refusal, or 250. */
function send(port: number, to: string): Promise<number> {
  const transport = mailerFor(cleanup, { port, pool: false });
  return transport.sendMail({ from: "app@example.test", to, subject: "shared faults", text: "x" }).then(
    () => 250,
    (error: { responseCode?: number }) => error.responseCode ?? 0,
  );
}

describe("fault rules shared through PostgreSQL", () => {
  it("an unlimited rule added through A's API refuses mail on B's SMTP, and both logs list the fault", async () => {
    const [a, b] = await twoInstances();
    const created = await fetchJson<FaultRule>(a.url, "POST", "/api/inboxes/gone%40mailnest.test/faults", {
      stage: "rcpt",
      code: 550,
      // A probability and no `times`: unlimited, so it fires without a round trip to the database.
      probability: 1,
    });
    expect(created.status).toBe(201);
    await expect
      .poll(async () => (await rulesOf(b.url)).map((rule) => rule.id), PROPAGATION)
      .toEqual([created.body.id]);

    expect(await send(b.smtpPort, "gone@mailnest.test")).toBe(550);
    expect(await send(b.smtpPort, "other@mailnest.test")).toBe(250);

    // An unlimited rule's entry is written just after its reply: another instance lists it a moment later.
    for (const url of [a.url, b.url]) {
      await expect
        .poll(() => logOf(url), PROPAGATION)
        .toMatchObject([
          { ruleId: created.body.id, stage: "rcpt", code: 550, inboxes: ["gone@mailnest.test"] },
        ]);
    }
    // The shared rule counts the uses of every instance.
    expect(await rulesOf(a.url)).toMatchObject([{ id: created.body.id, triggered: 1, remaining: null }]);
  });

  it("times: 3, raced by 12 sends through A and B at once, refuses exactly 3 of them", async () => {
    const [a, b] = await twoInstances();
    const created = await fetchJson<FaultRule>(a.url, "POST", "/api/faults", {
      stage: "rcpt",
      code: 451,
      times: 3,
    });
    await expect.poll(async () => (await rulesOf(b.url)).length, PROPAGATION).toBe(1);

    const codes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => send((i % 2 === 0 ? a : b).smtpPort, `race-${i}@mailnest.test`)),
    );
    expect(codes.filter((code) => code === 451)).toHaveLength(3);
    expect(codes.filter((code) => code === 250)).toHaveLength(9);

    for (const url of [a.url, b.url]) {
      const log = await logOf(url);
      expect(log.map((entry) => entry.ruleId)).toEqual([created.body.id, created.body.id, created.body.id]);
      expect(new Set(log.map((entry) => entry.sequence)).size).toBe(3);
      // Used up: gone from every instance.
      await expect.poll(() => rulesOf(url), PROPAGATION).toEqual([]);
    }
  });

  it("a rule deleted through B no longer applies on A; clearing the log on A clears it for B", async () => {
    const [a, b] = await twoInstances();
    const created = await fetchJson<FaultRule>(a.url, "POST", "/api/faults", {
      stage: "mail",
      code: 421,
      probability: 1,
    });
    expect(await send(a.smtpPort, "x@mailnest.test")).toBe(421);

    expect((await fetchJson(b.url, "DELETE", `/api/faults/${created.body.id}`)).status).toBe(204);
    await expect.poll(async () => (await rulesOf(a.url)).length, PROPAGATION).toBe(0);
    expect(await send(a.smtpPort, "x@mailnest.test")).toBe(250);

    expect(await fetchJson(a.url, "DELETE", "/api/faults/log")).toMatchObject({ body: { deleted: 1 } });
    expect(await logOf(b.url)).toEqual([]);
  });

  it("greylisting remembers across instances: a retry that reaches B after the delay passes (the same --greylist flag on both)", async () => {
    const database = await createTestDatabase(cleanup);
    // Each instance makes its own copy of the flag's rule, with its own id: one memory all the same.
    const flag = parseGreylist("400ms", "--greylist");
    const [a, b] = [
      await startTestSandbox(cleanup, { databaseUrl: database.url, receivingRules: [flag] }),
      await startTestSandbox(cleanup, { databaseUrl: database.url, receivingRules: [flag] }),
    ];
    expect(await send(a.smtpPort, "first@mailnest.test")).toBe(451);
    await new Promise((resolve) => setTimeout(resolve, 450));
    // B never saw this triple itself: it remembers A's first sighting.
    expect(await send(b.smtpPort, "first@mailnest.test")).toBe(250);
    expect(await send(a.smtpPort, "first@mailnest.test")).toBe(250); // passed, for A as well
    expect(await send(b.smtpPort, "second@mailnest.test")).toBe(451);
    expect(await send(a.smtpPort, "second@mailnest.test")).toBe(451); // too early, on A too
  }, 60_000);

  it("an API greylisting rule: refused on B, the retry on A after the delay passes", async () => {
    const [a, b] = await twoInstances();
    const rule = await fetchJson<FaultRule>(a.url, "POST", "/api/inboxes/api%40mailnest.test/faults", {
      behavior: "greylist",
      delayMs: 300,
    });
    expect(rule.status).toBe(201);
    await expect.poll(async () => (await rulesOf(b.url)).length, PROPAGATION).toBe(1);
    expect(await send(b.smtpPort, "api@mailnest.test")).toBe(451);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await send(a.smtpPort, "api@mailnest.test")).toBe(250);
    // The pass is logged, once, in the shared log.
    await expect
      .poll(async () => (await logOf(b.url)).map((entry) => entry.code), PROPAGATION)
      .toEqual([451, 250]);
  }, 60_000);

  it("a rate limit per sender counts the transactions of every instance", async () => {
    const [a, b] = await twoInstances();
    const rule = await fetchJson<FaultRule>(a.url, "POST", "/api/faults", {
      behavior: "rate-limit",
      per: "sender",
      limit: 3,
      windowMs: 60_000,
    });
    expect(rule.status).toBe(201);
    await expect.poll(async () => (await rulesOf(b.url)).length, PROPAGATION).toBe(1);
    const codes: number[] = [];
    for (const sandbox of [a, b, a, b, a]) codes.push(await send(sandbox.smtpPort, "counted@mailnest.test"));
    expect(codes.slice(0, 3)).toEqual([250, 250, 250]);
    expect(codes.slice(3).every((code) => code >= 400)).toBe(true);
  }, 60_000);
});
