import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createPostgresStoreKit } from "../../test-support/postgres-store-kit.js";
import { ingestBuffer, testMessage } from "../../test-support/store-kit.js";
import { appendChange } from "./change-log.js";
import { connect } from "./connect.js";
import { migrate } from "./schema.js";

const kit = createPostgresStoreKit();
afterEach(() => kit.cleanup());
afterAll(() => kit.dropDatabases());

/** How long a change may take to reach another instance (or a timer to fire) on a loaded machine. */
const PROPAGATION = { timeout: 15_000 };

describe("the visibility watermark with concurrent writers", () => {
  it("a transaction that allocated change N+1 commits only after N: a reader never sees N+1 without N", async () => {
    const database = await kit.database();
    const sql = connect(database.url, { max: 4 });
    try {
      await migrate(sql);
      let releaseFirst: () => void = () => {};
      const firstHolds = new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      let firstAllocated: () => void = () => {};
      const allocated = new Promise<void>((resolve) => {
        firstAllocated = resolve;
      });
      const first = sql.begin(async (tx) => {
        const change = await appendChange(tx, [{ op: "cleared", address: "first@mailnest.test" }], "first");
        firstAllocated();
        await firstHolds;
        return change;
      });
      await allocated;
      const second = sql.begin((tx) =>
        appendChange(tx, [{ op: "cleared", address: "second@mailnest.test" }], "second"),
      );

      // The second writer is queued behind the first one's clock row lock, before it has a number.
      await expect
        .poll(async () => {
          const [row] = await sql<{ waiting: number }[]>`
            SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`;
          return row?.waiting;
        }, PROPAGATION)
        .toBe(1);
      expect(await sql`SELECT change FROM mailnest_changes`).toEqual([]);

      releaseFirst();
      const [one, two] = await Promise.all([first, second]);
      expect([one, two]).toEqual([1, 2]);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it("with two instances ingesting at once, a third sees every sequence in order, each only once all below it are visible", async () => {
    const database = await kit.database();
    const a = await kit.open(database.url);
    const b = await kit.open(database.url);
    const reader = await kit.open(database.url);
    const seen: number[] = [];
    const gaps: string[] = [];
    reader.bus.on("message.stored", ({ message }) => {
      seen.push(message.sequence);
      // Nothing is deleted here, so "every lower sequence is visible" means count === sequence.
      if (reader.store.messageCount !== message.sequence || reader.store.head < message.sequence) {
        gaps.push(`sequence ${message.sequence} announced with ${reader.store.messageCount} visible`);
      }
    });
    // A raw reader polls the table as fast as it can: it must never find a sequence above one it lacks.
    const raw = connect(database.url, { max: 1 });
    let polling = true;
    let cursor = 0;
    const rawGaps: string[] = [];
    const poller = (async () => {
      while (polling) {
        const rows = await raw<{ sequence: number }[]>`
          SELECT sequence FROM mailnest_messages WHERE sequence > ${cursor} ORDER BY sequence`;
        for (const { sequence } of rows) {
          if (sequence !== cursor + 1) rawGaps.push(`found ${sequence} after ${cursor}`);
          cursor = sequence;
        }
      }
    })();

    const count = 30;
    await Promise.all([
      ...Array.from({ length: count }, (_, i) => ingestBuffer(a.store, testMessage({ subject: `a${i}` }))),
      ...Array.from({ length: count }, (_, i) => ingestBuffer(b.store, testMessage({ subject: `b${i}` }))),
    ]);
    await expect.poll(() => reader.store.head, PROPAGATION).toBe(2 * count);
    polling = false;
    await poller;
    await raw.end({ timeout: 1 });

    expect(gaps).toEqual([]);
    expect(rawGaps).toEqual([]);
    expect(seen).toEqual(Array.from({ length: 2 * count }, (_, i) => i + 1));
    // A's own ingests resolved once A was current up to them; B's last ones reach A a moment later.
    await expect.poll(() => a.store.head, PROPAGATION).toBe(2 * count);
    // `since=head` taken at any point misses nothing: the page after the last seen head is the rest.
    expect((await reader.store.list({ limit: 500, since: count })).messages).toHaveLength(count);
  });
});
