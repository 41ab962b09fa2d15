import { afterAll, describe, expect, it } from "vitest";
import { PostgresOutboxes } from "../store/postgres/postgres-outboxes.js";
import { createDatabaseOn, type TestDatabase } from "../test-support/postgres/test-database.js";
import { testPostgresServerUrl } from "../test-support/postgres/use-test-database.js";
import { parseReportRuleInput } from "./parse-report-rule.js";
import { SharedReportRules } from "./shared-report-rules.js";

const databases: TestDatabase[] = [];
const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await Promise.all(databases.splice(0).map((database) => database.drop()));
});

/** Two instances' report rules on one fresh database. */
async function twoInstances(): Promise<[SharedReportRules, SharedReportRules]> {
  const database = await createDatabaseOn(testPostgresServerUrl());
  databases.push(database);
  const open = async () => {
    const outboxes = await PostgresOutboxes.open(database.url);
    closers.push(() => outboxes.close());
    return SharedReportRules.open(outboxes);
  };
  return [await open(), await open()];
}

const entry = (note: string) => ({
  ruleId: null,
  simulator: null,
  kind: "bounce" as const,
  action: "failed" as const,
  status: "5.1.1",
  outcome: "sent" as const,
  note,
  original: { id: "m", messageId: null, mailFrom: "a@x.test", recipients: ["b@x.test"] },
  to: "a@x.test",
  report: null,
  forward: null,
});

describe("SharedReportRules: one set of report rules for every instance", () => {
  it("40 takes of a 5-use rule raced from two instances: exactly 5 succeed, and the rule is gone on both", async () => {
    const [a, b] = await twoInstances();
    const rule = await a.add(parseReportRuleInput({ kind: "bounce", to: "b@x.test", times: 5 }));
    const takes = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).take(rule.id)));
    expect(takes.filter(Boolean)).toHaveLength(5);
    expect(a.rules()).toEqual([]);
    await expect.poll(() => b.rules(), { timeout: 5_000 }).toEqual([]);
  });

  it("log entries from both get one sequence each, the same on both; forwarding updates and clearing reach both", async () => {
    const [a, b] = await twoInstances();
    const made = await Promise.all([a.append(entry("a1")), b.append(entry("b1")), a.append(entry("a2"))]);
    expect(made.map((each) => each.sequence).sort()).toEqual([1, 2, 3]);
    a.updateForward(made[1]!.sequence, {
      deliveryId: "fw_1",
      state: "delivered",
      attempts: 1,
      lastError: null,
    });
    await a.flushed();
    await expect
      .poll(() => b.log().map((each) => [each.sequence, each.note, each.forward?.state ?? null]), {
        timeout: 5_000,
      })
      .toEqual(a.log().map((each) => [each.sequence, each.note, each.forward?.state ?? null]));
    expect(b.log().find((each) => each.note === "b1")?.forward).toMatchObject({ state: "delivered" });
    expect(await b.clearLog()).toBe(3);
    await expect.poll(() => a.log(), { timeout: 5_000 }).toEqual([]);
    // Sequences keep counting after a clear.
    expect((await a.append(entry("after"))).sequence).toBe(4);
  });

  it("--report rules stay on their instance, in front of the shared ones", async () => {
    const [a, b] = await twoInstances();
    const cli = await a.add(parseReportRuleInput({ kind: "complaint" }), "cli");
    const api = await a.add(parseReportRuleInput({ kind: "bounce", to: "b@x.test" }));
    expect(a.rules().map((rule) => rule.id)).toEqual([cli.id, api.id]);
    await expect.poll(() => b.rules().map((rule) => rule.id), { timeout: 5_000 }).toEqual([api.id]);
  });
});
