import { afterAll, afterEach, describe, expect, it } from "vitest";
import { EventBus, type MailnestEventName } from "../../events/bus.js";
import { createPostgresStoreKit } from "../../test-support/postgres-store-kit.js";
import { ingestBuffer, testEnvelope, testMessage } from "../../test-support/store-kit.js";
import { DuplicateWindow } from "../duplicate-window.js";
import { ChangeFeed } from "./change-feed.js";
import { connect } from "./connect.js";
import { Replica } from "./replica.js";
import { readSnapshot } from "./rows.js";

const kit = createPostgresStoreKit();
afterEach(() => kit.cleanup());
afterAll(() => kit.dropDatabases());

function replicaOn(bus: EventBus): Replica {
  return new Replica(bus, new DuplicateWindow(), "change-feed-test", {
    forgotten() {},
    stored() {},
    registered() {},
  });
}

function record(bus: EventBus): string[] {
  const seen: string[] = [];
  for (const name of [
    "message.stored",
    "message.updated",
    "message.deleted",
    "inbox.created",
    "inbox.deleted",
  ] as const satisfies readonly MailnestEventName[]) {
    bus.on(name, (event) => {
      const subject = "message" in event ? event.message.subject : "id" in event ? event.id : event.address;
      seen.push(`${name} ${subject}`);
    });
  }
  return seen;
}

describe("the change feed", () => {
  it("a replica whose cursor is older than the pruned change log reloads from a snapshot and announces the difference", async () => {
    const database = await kit.database();
    const { store } = await kit.open(database.url);
    const sql = connect(database.url, { max: 2 });
    try {
      const stale = await readSnapshot(sql);
      const gone = await ingestBuffer(store, testMessage({ subject: "gone" }));
      const read = await ingestBuffer(store, testMessage({ subject: "read" }));
      store.createInbox("kept@mailnest.test");
      await ingestBuffer(
        store,
        testMessage({ subject: "new" }),
        testEnvelope({ rcptTo: ["kept@mailnest.test"] }),
      );
      await store.setRead(read.id, true);
      await store.deleteMessage(gone.id);
      // What housekeeping does after an hour: the log keeps only its newest entry.
      await sql`DELETE FROM mailnest_changes WHERE change < (SELECT max(change) FROM mailnest_changes)`;

      const bus = new EventBus();
      const seen = record(bus);
      const replica = replicaOn(bus);
      replica.load(stale, Date.now());
      const feed = new ChangeFeed(sql, replica);
      const [latest] = await sql<{ change: number }[]>`SELECT change FROM mailnest_clock`;
      await feed.reach(latest!.change);
      await feed.close();

      expect(replica.index.all().map((summary) => [summary.subject, summary.read])).toEqual([
        ["read", true],
        ["new", false],
      ]);
      expect(replica.head).toBe(3);
      expect(replica.index.registration("kept@mailnest.test")).not.toBeNull();
      expect(seen.sort()).toEqual([
        "inbox.created kept@mailnest.test",
        "message.stored new",
        "message.stored read",
      ]);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it("a replica that is current announces nothing when it reloads the same snapshot", async () => {
    const database = await kit.database();
    const { store } = await kit.open(database.url);
    await ingestBuffer(store, testMessage({ subject: "one" }));
    store.createInbox("x@mailnest.test");
    const sql = connect(database.url, { max: 1 });
    try {
      await expect
        .poll(async () => (await readSnapshot(sql)).registrations.length, { timeout: 15_000 })
        .toBe(1);
      const snapshot = await readSnapshot(sql);
      const bus = new EventBus();
      const seen = record(bus);
      const replica = replicaOn(bus);
      replica.load(snapshot, Date.now());
      replica.replace(await readSnapshot(sql));
      expect(seen).toEqual([]);
      expect(replica.index.count).toBe(1);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
