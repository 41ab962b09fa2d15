import type { FaultLogEntry, FaultRule } from "@mailnest/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabaseOn, type TestDatabase } from "../../test-support/postgres/test-database.js";
import { testPostgresServerUrl } from "../../test-support/postgres/use-test-database.js";
import { connect, type Sql } from "./connect.js";
import { FaultTable } from "./fault-table.js";
import { migrate } from "./schema.js";

const databases: TestDatabase[] = [];
const pools: Sql[] = [];
afterAll(async () => {
  await Promise.all(pools.splice(0).map((sql) => sql.end()));
  await Promise.all(databases.splice(0).map((database) => database.drop()));
});

/** Two tables on one fresh, migrated database, each on its own pool: two instances of one sandbox. */
async function twoTables(maxLogEntries = 100): Promise<[FaultTable, FaultTable]> {
  const database = await createDatabaseOn(testPostgresServerUrl());
  databases.push(database);
  const a = connect(database.url, { max: 4 });
  const b = connect(database.url, { max: 4 });
  pools.push(a, b);
  await migrate(a);
  return [new FaultTable(a, { maxLogEntries }), new FaultTable(b, { maxLogEntries })];
}

function rule(id: string, times: number | null): FaultRule {
  return {
    id,
    behavior: "reply",
    stage: "rcpt",
    code: 451,
    status: null,
    message: `Temporary failure injected by Mailnest fault ${id}`,
    delayMs: null,
    limit: null,
    windowMs: null,
    per: null,
    pattern: null,
    inbox: "user@mailnest.test",
    from: null,
    times,
    remaining: times,
    probability: 1,
    triggered: 0,
    origin: "api",
    createdAt: "2026-12-02T07:00:00.000Z",
  };
}

function entry(ruleId: string): Omit<FaultLogEntry, "sequence"> {
  return {
    at: "2026-12-02T07:00:01.000Z",
    ruleId,
    behavior: "reply",
    stage: "rcpt",
    code: 451,
    status: null,
    message: "Temporary failure",
    inboxes: ["user@mailnest.test"],
    envelope: {
      remoteAddress: "127.0.0.1",
      heloName: "client",
      mailFrom: "sender@mailnest.test",
      rcptTo: [],
      recipient: "user@mailnest.test",
      authUser: null,
      tls: false,
    },
  };
}

describe("fault rules in PostgreSQL", () => {
  it("a rule added through A is listed by B as it was added, in the order of adding; deleting on B removes it for A", async () => {
    const [a, b] = await twoTables();
    await a.insert(rule("flt_aaaaaaaaaaaa", 2));
    await a.insert(rule("flt_bbbbbbbbbbbb", null));
    expect(await b.rules()).toEqual([rule("flt_aaaaaaaaaaaa", 2), rule("flt_bbbbbbbbbbbb", null)]);

    expect(await b.delete("flt_aaaaaaaaaaaa")).toBe(true);
    expect(await b.delete("flt_aaaaaaaaaaaa")).toBe(false);
    expect((await a.rules()).map((r) => r.id)).toEqual(["flt_bbbbbbbbbbbb"]);
    expect(await a.clear()).toEqual(["flt_bbbbbbbbbbbb"]);
    expect(await b.rules()).toEqual([]);
  });

  it("consuming counts down a limited rule, deletes it at its last use, and then returns null", async () => {
    const [a, b] = await twoTables();
    await a.insert(rule("flt_aaaaaaaaaaaa", 2));
    expect(await a.consume("flt_aaaaaaaaaaaa")).toMatchObject({ remaining: 1, triggered: 1 });
    expect(await b.rules()).toMatchObject([{ id: "flt_aaaaaaaaaaaa", remaining: 1, triggered: 1 }]);
    expect(await b.consume("flt_aaaaaaaaaaaa")).toMatchObject({ remaining: 0, triggered: 2 });
    expect(await a.consume("flt_aaaaaaaaaaaa")).toBeNull();
    expect(await a.rules()).toEqual([]);
    expect(await a.delete("flt_aaaaaaaaaaaa")).toBe(false);
  });

  it("an unlimited rule only counts its uses", async () => {
    const [a] = await twoTables();
    await a.insert(rule("flt_aaaaaaaaaaaa", null));
    for (let i = 0; i < 3; i++) await a.consume("flt_aaaaaaaaaaaa");
    expect(await a.rules()).toMatchObject([{ remaining: null, triggered: 3 }]);
  });

  it("a rule for 3 uses raced for 40 times from two instances at once is used exactly 3 times", async () => {
    const [a, b] = await twoTables();
    await a.insert(rule("flt_aaaaaaaaaaaa", 3));
    const attempts = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).consume("flt_aaaaaaaaaaaa"));
    const taken = (await Promise.all(attempts)).filter((used) => used !== null);
    expect(taken.map((used) => used.remaining).sort()).toEqual([0, 1, 2]);
    expect(await b.rules()).toEqual([]);
  });

  it("a deleted rule cannot be consumed", async () => {
    const [a, b] = await twoTables();
    await a.insert(rule("flt_aaaaaaaaaaaa", 5));
    await b.delete("flt_aaaaaaaaaaaa");
    expect(await a.consume("flt_aaaaaaaaaaaa")).toBeNull();
  });
});

describe("the fault log in PostgreSQL", () => {
  it("entries appended by both instances are listed by either, oldest first, with unique sequences", async () => {
    const [a, b] = await twoTables();
    const first = await a.appendLog(entry("flt_aaaaaaaaaaaa"));
    const second = await b.appendLog(entry("flt_bbbbbbbbbbbb"));
    expect(second.sequence).toBeGreaterThan(first.sequence);
    expect(await a.log()).toEqual([first, second]);
    expect(await b.log()).toEqual([first, second]);
  });

  it("keeps the newest entries only, and sequences are not reused after clearing", async () => {
    const [a, b] = await twoTables(2);
    for (const id of ["flt_aaaaaaaaaaaa", "flt_bbbbbbbbbbbb", "flt_cccccccccccc"])
      await a.appendLog(entry(id));
    expect((await b.log()).map((e) => e.ruleId)).toEqual(["flt_bbbbbbbbbbbb", "flt_cccccccccccc"]);
    expect(await b.clearLog()).toBe(2);
    expect(await a.log()).toEqual([]);
    const next = await a.appendLog(entry("flt_dddddddddddd"));
    expect(next.sequence).toBe(4);
  });
});
