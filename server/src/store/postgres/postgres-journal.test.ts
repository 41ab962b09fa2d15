import { afterAll, describe, expect, it } from "vitest";
import { createDatabaseOn, type TestDatabase } from "../../test-support/postgres/test-database.js";
import { testPostgresServerUrl } from "../../test-support/postgres/use-test-database.js";
import { connect, type Sql } from "./connect.js";
import { PostgresDeliveryTurns } from "./delivery-turn.js";
import { PostgresJournal } from "./postgres-journal.js";
import { PostgresOutboxes } from "./postgres-outboxes.js";
import { migrate } from "./schema.js";

const databases: TestDatabase[] = [];
const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await Promise.all(databases.splice(0).map((database) => database.drop()));
});

async function database(): Promise<TestDatabase> {
  const created = await createDatabaseOn(testPostgresServerUrl());
  databases.push(created);
  return created;
}

async function pool(url: string): Promise<Sql> {
  const sql = connect(url, { max: 4 });
  closers.push(() => sql.end());
  await migrate(sql);
  return sql;
}

interface Entry {
  from: string;
  n: number;
}

/** The simplest owner: its state is the list of records applied, in order. */
class ListState {
  items: Entry[] = [];
  resets = 0;
  readonly options = {
    parse: (value: unknown) => {
      const entry = value as Partial<Entry>;
      return typeof entry.from === "string" && typeof entry.n === "number" ? (entry as Entry) : null;
    },
    apply: (entry: Entry) => {
      this.items.push(entry);
    },
    snapshot: () => [...this.items],
    reset: () => {
      this.resets += 1;
      this.items = [];
    },
  };
}

async function rowCount(sql: Sql): Promise<{ records: number; snapshots: number }> {
  const [row] = await sql<{ records: number; snapshots: number }[]>`
    SELECT count(*) FILTER (WHERE kind = 'record')::int AS records,
           count(*) FILTER (WHERE kind = 'snapshot')::int AS snapshots
    FROM mailnest_journal`;
  return row!;
}

describe("PostgresJournal: one order of records for every instance", () => {
  it("appends made at once by two instances are applied by both in the same order, each its own in its order", async () => {
    const { url } = await database();
    const [a, b] = [await PostgresOutboxes.open(url), await PostgresOutboxes.open(url)];
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    const [stateA, stateB] = [new ListState(), new ListState()];
    const [journalA, journalB] = [
      await a.openJournal("t", stateA.options),
      await b.openJournal("t", stateB.options),
    ];
    const appends: Promise<void>[] = [];
    for (let n = 0; n < 60; n++) {
      appends.push(journalA.append({ from: "A", n }), journalB.append({ from: "B", n }));
      // Some in one transaction, some in many.
      if (n % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(appends);
    // Each has applied its own; the other's arrive through NOTIFY.
    await expect.poll(() => stateA.items.length + stateB.items.length, { timeout: 10_000 }).toBe(240);
    expect(stateA.items).toEqual(stateB.items);
    for (const from of ["A", "B"]) {
      expect(stateA.items.filter((item) => item.from === from).map((item) => item.n)).toEqual(
        Array.from({ length: 60 }, (_, n) => n),
      );
    }
  });

  it("an append resolves only once this instance has applied it and every record committed before it", async () => {
    const { url } = await database();
    const [sqlA, sqlB] = [await pool(url), await pool(url)];
    const [stateA, stateB] = [new ListState(), new ListState()];
    // No LISTEN here: B learns of A's records only by reading.
    const journalA = new PostgresJournal(sqlA, "t", stateA.options);
    const journalB = new PostgresJournal(sqlB, "t", stateB.options);
    await journalA.append({ from: "A", n: 1 });
    await journalB.append({ from: "B", n: 2 });
    expect(stateB.items).toEqual([
      { from: "A", n: 1 },
      { from: "B", n: 2 },
    ]);
  });

  it("an append made the moment the one before resolves is committed too (none is stranded between two drains)", async () => {
    const { url } = await database();
    const sql = await pool(url);
    const state = new ListState();
    const journal = new PostgresJournal(sql, "t", state.options);
    // Each append is made by the continuation of the one before, with no I/O in between.
    for (let n = 0; n < 20; n++) await journal.append({ from: "A", n });
    expect(state.items.map((item) => item.n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
  });

  it("keeps text jsonb would refuse (a NUL a header field may decode to), in records and snapshots", async () => {
    const { url } = await database();
    const [sqlA, sqlB] = [await pool(url), await pool(url)];
    const [writer, reader, later] = [new ListState(), new ListState(), new ListState()];
    const journal = new PostgresJournal(sqlA, "t", { ...writer.options, compactAfterRecords: 1 });
    const hostile = { from: "Subject: a\u0000b \ud83d\ude00 \\u0000", n: 1 };
    await journal.append(hostile);
    await new PostgresJournal(sqlB, "t", reader.options).catchUp();
    expect(reader.items).toEqual([hostile]);
    await journal.append({ ...hostile, n: 2 }); // past the line: a snapshot holds both
    expect(await rowCount(sqlA)).toEqual({ records: 2, snapshots: 1 });
    await journal.append({ ...hostile, n: 3 });
    await journal.append({ ...hostile, n: 4 }); // a second snapshot: the rows before the first go
    expect(await rowCount(sqlA)).toEqual({ records: 2, snapshots: 2 });
    await new PostgresJournal(sqlB, "t", later.options).catchUp();
    expect(later.items.map((item) => item.n)).toEqual([1, 2, 3, 4]);
    expect(later.items[0]).toEqual(hostile);
  });

  it("compacts to a snapshot; an instance that fell behind it starts over from it, one that kept up does not", async () => {
    const { url } = await database();
    const [sqlA, sqlB] = [await pool(url), await pool(url)];
    const [writer, keptUp, behind] = [new ListState(), new ListState(), new ListState()];
    const journalA = new PostgresJournal(sqlA, "t", { ...writer.options, compactAfterRecords: 10 });
    const journalB = new PostgresJournal(sqlB, "t", keptUp.options);
    const journalC = new PostgresJournal(sqlB, "t", behind.options);
    await journalA.append({ from: "A", n: 0 });
    await journalC.catchUp();
    expect(behind.items).toHaveLength(1);
    for (let n = 1; n < 35; n++) {
      await journalA.append({ from: "A", n });
      await journalB.catchUp();
    }
    const expected = Array.from({ length: 35 }, (_, n) => ({ from: "A", n }));
    expect(writer.items).toEqual(expected);
    expect(keptUp.items).toEqual(expected);
    expect(keptUp.resets).toBe(0);
    // Three compactions (after records 11, 22, 33); the rows before the second snapshot are gone.
    expect(await rowCount(sqlA)).toEqual({ records: 13, snapshots: 2 });

    // C read one record, then was away while the rows it needed were deleted.
    await journalC.catchUp();
    expect(behind.resets).toBe(1);
    expect(behind.items).toEqual(expected);
    // A newcomer gets the same from the snapshot.
    const later = new ListState();
    await new PostgresJournal(sqlB, "t", later.options).catchUp();
    expect(later.items).toEqual(expected);
  });

  it("journals of different names do not see each other's records", async () => {
    const { url } = await database();
    const sql = await pool(url);
    const [one, two] = [new ListState(), new ListState()];
    await new PostgresJournal(sql, "one", one.options).append({ from: "one", n: 1 });
    await new PostgresJournal(sql, "two", two.options).append({ from: "two", n: 1 });
    expect(one.items).toEqual([{ from: "one", n: 1 }]);
    expect(two.items).toEqual([{ from: "two", n: 1 }]);
  });

  it("exclusive: two instances' work never overlaps, and each starts having applied what the other wrote", async () => {
    const { url } = await database();
    const [sqlA, sqlB] = [await pool(url), await pool(url)];
    const [stateA, stateB] = [new ListState(), new ListState()];
    const journals = [
      new PostgresJournal(sqlA, "t", stateA.options),
      new PostgresJournal(sqlB, "t", stateB.options),
    ];
    const states = [stateA, stateB];
    let inside = 0;
    let overlapped = false;
    // "Add it unless it is there": run by both at once, it must add exactly one.
    await Promise.all(
      journals.map((journal, i) =>
        journal.exclusive(async () => {
          inside += 1;
          if (inside > 1) overlapped = true;
          await new Promise((resolve) => setTimeout(resolve, 50));
          if (!states[i]!.items.some((item) => item.n === 1)) await journal.append({ from: `${i}`, n: 1 });
          inside -= 1;
        }),
      ),
    );
    expect(overlapped).toBe(false);
    await journals[0]!.catchUp();
    await journals[1]!.catchUp();
    expect(stateA.items).toHaveLength(1);
    expect(stateB.items).toEqual(stateA.items);
  });
});

/** Two instances' delivery turns on one fresh database, quick to ask and to check. */
async function twoTurnSessions(): Promise<[PostgresDeliveryTurns, PostgresDeliveryTurns]> {
  const { url } = await database();
  const options = { retryMs: 50, checkMs: 50 };
  const sessions: [PostgresDeliveryTurns, PostgresDeliveryTurns] = [
    new PostgresDeliveryTurns(url, {}, options),
    new PostgresDeliveryTurns(url, {}, options),
  ];
  closers.push(...sessions.map((session) => () => session.close()));
  return sessions;
}

describe("PostgresDeliveryTurns: one instance delivers at a time", () => {
  it("a turn is held by one of two instances; another outbox's turn is its own; the holder's exit hands it on", async () => {
    const [one, two] = await twoTurnSessions();
    const first = one.turn("webhooks");
    const second = two.turn("webhooks");
    await expect.poll(() => first.held || second.held, { timeout: 5_000 }).toBe(true);
    const [holder, waiting] = first.held ? [one, two] : [two, one];
    const waitingTurn = waiting === one ? first : second;
    // The other outbox's turn, asked for by the instance without the first: it gets it.
    const other = waiting.turn("releases");
    await expect.poll(() => other.held, { timeout: 5_000 }).toBe(true);
    // Several rounds of asking do not hand the first to the second.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([first.held, second.held].filter(Boolean)).toHaveLength(1);

    const changes: boolean[] = [];
    waitingTurn.onChange((held: boolean) => changes.push(held));
    await holder.close();
    await expect.poll(() => waitingTurn.held, { timeout: 5_000 }).toBe(true);
    expect(changes).toEqual([true]);
    expect(other.held).toBe(true);
  });

  it("closing one turn hands it on at once, while the instance keeps its others", async () => {
    const [one, two] = await twoTurnSessions();
    const webhooks = one.turn("webhooks");
    const releases = one.turn("releases");
    await expect.poll(() => webhooks.held && releases.held, { timeout: 5_000 }).toBe(true);
    const theirs = two.turn("webhooks");
    await webhooks.close();
    expect(webhooks.held).toBe(false);
    await expect.poll(() => theirs.held, { timeout: 5_000 }).toBe(true);
    expect(releases.held).toBe(true);
  });
});
