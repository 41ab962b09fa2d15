import { afterAll, describe, expect, it } from "vitest";
import { createDatabaseOn, type TestDatabase } from "../../test-support/postgres/test-database.js";
import { testPostgresServerUrl } from "../../test-support/postgres/use-test-database.js";
import { connect, type Sql } from "./connect.js";
import { PostgresFaultMemory } from "./fault-memory.js";
import { migrate } from "./schema.js";

const databases: TestDatabase[] = [];
const pools: Sql[] = [];
afterAll(async () => {
  await Promise.all(pools.splice(0).map((sql) => sql.end()));
  await Promise.all(databases.splice(0).map((database) => database.drop()));
});

/** Two instances' memories on one fresh database, each on its own pool. */
async function twoMemories(): Promise<[PostgresFaultMemory, PostgresFaultMemory]> {
  const database = await createDatabaseOn(testPostgresServerUrl());
  databases.push(database);
  const [a, b] = [connect(database.url, { max: 4 }), connect(database.url, { max: 4 })];
  pools.push(a, b);
  await migrate(a);
  return [new PostgresFaultMemory(a), new PostgresFaultMemory(b)];
}

describe("greylisting and rate-limit memory in PostgreSQL", () => {
  it("a triple first seen by 10 racing attempts from two instances is a first sighting once", async () => {
    const [a, b] = await twoMemories();
    const sightings = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).greylist("rule", "triple", 1_000, 300, true)),
    );
    expect(sightings.filter((sighting) => sighting.kind === "first")).toHaveLength(1);
    expect(sightings.filter((sighting) => sighting.kind === "retried")).toHaveLength(9);
    expect(sightings.every((sighting) => sighting.kind !== "retried" || !sighting.passedNow)).toBe(true);
  });

  it("a retry after the delay passes, and the triple stays passed; another rule's memory is its own", async () => {
    const [a, b] = await twoMemories();
    expect(await a.greylist("rule", "t", 1_000, 300, true)).toEqual({ kind: "first", greylisted: true });
    expect(await b.greylist("rule", "t", 1_200, 300, true)).toEqual({
      kind: "retried",
      waitedMs: 200,
      passedNow: false,
    });
    expect(await b.greylist("rule", "t", 1_300, 300, true)).toEqual({
      kind: "retried",
      waitedMs: 300,
      passedNow: true,
    });
    expect(await a.greylist("rule", "t", 9_000, 300, true)).toEqual({ kind: "passed" });
    expect(await a.greylist("other", "t", 9_000, 300, true)).toEqual({ kind: "first", greylisted: true });
    // Spared by the probability: let through from then on.
    expect(await a.greylist("rule", "spared", 1_000, 300, false)).toEqual({
      kind: "first",
      greylisted: false,
    });
    expect(await b.greylist("rule", "spared", 1_001, 300, true)).toEqual({ kind: "passed" });
  });

  it("a rate limit of 5 raced by 20 transactions from two instances lets exactly 5 through; the window slides", async () => {
    const [a, b] = await twoMemories();
    const refused = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).rate("rule", "sender x", 10_000, 60_000, 5, true)),
    );
    expect(refused.filter((each) => !each)).toHaveLength(5);
    // A minute on, the window is empty again.
    expect(await a.rate("rule", "sender x", 70_001, 60_000, 5, true)).toBe(false);
    // Not refused when the probability spared it: counted instead.
    expect(await b.rate("rule", "sender y", 10_000, 60_000, 0, false)).toBe(false);
  });

  it("forgetting a rule drops its memory", async () => {
    const [a] = await twoMemories();
    await a.greylist("gone", "t", 1_000, 300, true);
    a.forget("gone");
    await expect
      .poll(() => a.greylist("gone", "t", 1_100, 300, true), { timeout: 5_000 })
      .toEqual({ kind: "first", greylisted: true });
  });
});
