import postgres from "postgres";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createPostgresStoreKit } from "../../test-support/postgres-store-kit.js";
import { ingestBuffer, testMessage } from "../../test-support/store-kit.js";
import type { ChangeOp } from "./change-log.js";

const kit = createPostgresStoreKit();
afterEach(() => kit.cleanup());
afterAll(() => kit.dropDatabases());

/** How long a change may take to reach another instance (or a timer to fire) on a loaded machine. */
const PROPAGATION = { timeout: 15_000 };

/** Every id the change log records as deleted, in order: a message pruned twice would appear twice. */
async function deletionsLogged(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1 });
  try {
    const rows = await sql<{ ops: ChangeOp[] }[]>`SELECT ops FROM mailnest_changes ORDER BY change`;
    return rows.flatMap((row) => row.ops.flatMap((op) => (op.op === "deleted" ? op.ids : [])));
  } finally {
    await sql.end();
  }
}

describe("retention across instances", () => {
  it("maxMessages prunes the oldest once, and every instance announces each pruned message once", async () => {
    const database = await kit.database();
    const a = await kit.open(database.url, { maxMessages: 3 });
    const b = await kit.open(database.url, { maxMessages: 3 });
    const stored = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        ingestBuffer(i % 2 === 0 ? a.store : b.store, testMessage({ subject: `m${i}` })),
      ),
    );
    const bySequence = stored.sort((x, y) => x.sequence - y.sequence).map((message) => message.id);

    for (const instance of [a, b]) {
      // Each ingest resolves once its own instance is current up to its message; the other instance
      // may still be applying later ones, so wait until it has seen all eight and pruned.
      await expect
        .poll(() => [instance.store.head, instance.store.messageCount], PROPAGATION)
        .toEqual([8, 3]);
      expect((await instance.store.list({ limit: 10 })).messages.map((m) => m.id)).toEqual(
        bySequence.slice(5).reverse(),
      );
      // Each instance announced all eight, and each pruned one deleted, once: the change log carries
      // the summaries, so even a message pruned before this instance read it was listed here first.
      expect(
        instance
          .eventsNamed("message.stored")
          .map((event) => event.message.id)
          .sort(),
      ).toEqual([...bySequence].sort());
      expect(
        instance
          .eventsNamed("message.deleted")
          .map((event) => event.id)
          .sort(),
      ).toEqual(bySequence.slice(0, 5).sort());
    }
    expect((await deletionsLogged(database.url)).sort()).toEqual(bySequence.slice(0, 5).sort());
  });

  it("what ingest pushed over maxMessages is gone when ingest resolves", async () => {
    const database = await kit.database();
    const { store, eventsNamed } = await kit.open(database.url, { maxMessages: 2 });
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) ids.push((await ingestBuffer(store, testMessage({ subject: `m${i}` }))).id);
    expect((await store.list({ limit: 10 })).messages.map((m) => m.subject)).toEqual(["m4", "m3"]);
    expect(eventsNamed("message.deleted").map((event) => event.id)).toEqual(ids.slice(0, 2));
  });

  it("maxAgeMs prunes on a timer on every instance, and a lowered limit applies when an instance opens", async () => {
    const database = await kit.database();
    const a = await kit.open(database.url, { maxAgeMs: 400 });
    const b = await kit.open(database.url);
    await ingestBuffer(b.store, testMessage());
    await expect.poll(() => a.store.messageCount, PROPAGATION).toBe(0);
    await expect.poll(() => b.store.messageCount, PROPAGATION).toBe(0);
    expect(b.eventsNamed("message.deleted")).toHaveLength(1);
    await a.store.close();

    for (let i = 1; i <= 3; i++) await ingestBuffer(b.store, testMessage({ subject: `k${i}` }));
    const c = await kit.open(database.url, { maxMessages: 1 });
    expect((await c.store.list({ limit: 10 })).messages.map((m) => m.subject)).toEqual(["k3"]);
    await expect.poll(() => b.store.messageCount, PROPAGATION).toBe(1);
  });

  it("an inbox TTL set on one instance deletes the inbox once, announced on both", async () => {
    const database = await kit.database();
    const a = await kit.open(database.url);
    const b = await kit.open(database.url);
    a.store.createInbox("brief@mailnest.test", { ttlMs: 300 });
    await expect.poll(() => b.store.getInbox("brief@mailnest.test"), PROPAGATION).not.toBeNull();
    await expect.poll(() => a.store.getInbox("brief@mailnest.test"), PROPAGATION).toBeNull();
    await expect.poll(() => b.store.getInbox("brief@mailnest.test"), PROPAGATION).toBeNull();
    expect(a.eventsNamed("inbox.deleted")).toEqual([{ address: "brief@mailnest.test" }]);
    expect(b.eventsNamed("inbox.deleted")).toEqual([{ address: "brief@mailnest.test" }]);
  });
});
