import postgres from "postgres";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { EventBus } from "../../events/bus.js";
import { PostgresCluster } from "../../test-support/postgres/postgres-cluster.js";
import { createDatabaseOn, type TestDatabase } from "../../test-support/postgres/test-database.js";
import { createPostgresStoreKit } from "../../test-support/postgres-store-kit.js";
import { chunked, ingestBuffer, testEnvelope, testMessage } from "../../test-support/store-kit.js";
import { StorageFailedError } from "../errors.js";
import type { MessageStore } from "../message-store.js";
import type { StoredMessage } from "../model.js";

const kit = createPostgresStoreKit();
afterEach(() => kit.cleanup());
afterAll(() => kit.dropDatabases());

const FAST_FAILURE = { connection: { connectTimeoutSeconds: 2 } };

function storedOn(bus: EventBus, subject: string): Promise<string> {
  return new Promise((resolve) => {
    const off = bus.on("message.stored", ({ message }) => {
      if (message.subject !== subject) return;
      off();
      resolve(message.id);
    });
  });
}

/** Ingests until the store accepts again (each refusal must be a StorageFailedError, i.e. a 451). */
async function ingestOnceBack(store: MessageStore, subject: string): Promise<StoredMessage> {
  for (;;) {
    try {
      return await ingestBuffer(store, testMessage({ subject }));
    } catch (error) {
      expect(error).toBeInstanceOf(StorageFailedError);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe("PostgreSQL outages", () => {
  it("while the server is down ingest fails with StorageFailedError (451); afterwards both instances recover on their own", async () => {
    // A server of this test's own: stopping the run's shared one would break the files running beside it.
    const cluster = await PostgresCluster.create();
    let database: TestDatabase | null = null;
    try {
      database = await createDatabaseOn(cluster.url());
      const a = await kit.open(database.url, FAST_FAILURE);
      const b = await kit.open(database.url, FAST_FAILURE);
      const { id } = await ingestBuffer(a.store, testMessage({ subject: "before" }));
      // B too, before the database goes: B reads it from the database below.
      await expect.poll(() => b.store.summary(id), { timeout: 15_000 }).not.toBeNull();

      await cluster.stop();
      const stream = chunked(testMessage({ subject: "during" }));
      await expect(a.store.ingest(stream, testEnvelope(), { maxSize: 1_000_000 })).rejects.toBeInstanceOf(
        StorageFailedError,
      );
      expect(stream.readableEnded).toBe(true);
      await expect(a.store.setInboxRead(null, true)).rejects.toBeInstanceOf(StorageFailedError);
      // createInbox answers at once (the contract is synchronous) and writes through once it can.
      expect(a.store.createInbox("made-during@mailnest.test")).toMatchObject({ messageCount: 0 });
      // Reads that must reach the database fail as unavailable, saying what was read.
      for (const read of [() => b.store.readRaw(id), () => b.store.get(id)]) {
        const failure = await read().then(
          () => null,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(StorageFailedError);
        expect(failure).toMatchObject({ unavailable: true });
        expect((failure as Error).message).toMatch(
          new RegExp(
            `^Storage unavailable while reading the (size|raw bytes|parsed view) of message ${id} from PostgreSQL: `,
          ),
        );
      }
      await expect(b.store.deleteMessage(id)).rejects.toMatchObject({ unavailable: true });
      // Reads of what the replica holds keep working.
      expect(a.store.messageCount).toBe(1);
      expect((await a.store.list({ limit: 5 })).messages.map((m) => m.subject)).toEqual(["before"]);

      await cluster.start();
      const seenOnB = storedOn(b.bus, "after");
      const after = await ingestOnceBack(a.store, "after");
      expect(await seenOnB).toBe(after.id);
      expect(b.store.messageCount).toBe(2);
      expect((await b.store.list({ limit: 5 })).messages.map((m) => m.subject)).toEqual(["after", "before"]);
      await expect
        .poll(() => b.store.getInbox("made-during@mailnest.test"), { timeout: 15_000 })
        .not.toBeNull();
    } finally {
      await kit.cleanup();
      await database?.drop().catch(() => {});
      await cluster.destroy();
    }
  });

  it("a database that is up but stuck (the clock row locked elsewhere) answers ingest with StorageFailedError, then recovers", async () => {
    const database = await kit.database();
    const { store } = await kit.open(database.url, { connection: { statementTimeoutMs: 300 } });
    const blocker = postgres(database.url, { max: 1 });
    try {
      const holding = await blocker.reserve();
      await holding`BEGIN`;
      await holding`SELECT * FROM mailnest_clock FOR UPDATE`;
      const stuck = ingestBuffer(store, testMessage({ subject: "stuck" }));
      await expect(stuck).rejects.toBeInstanceOf(StorageFailedError);
      await expect(stuck).rejects.toThrow(/statement timeout/);
      await holding`ROLLBACK`;
      holding.release();
      const after = await ingestBuffer(store, testMessage({ subject: "unstuck" }));
      expect(store.summary(after.id)?.subject).toBe("unstuck");
      expect(store.messageCount).toBe(1);
    } finally {
      await blocker.end({ timeout: 1 });
    }
  });

  it("when the database drops every connection, the LISTEN connection subscribes again and catches up", async () => {
    const database = await kit.database();
    const a = await kit.open(database.url, FAST_FAILURE);
    const b = await kit.open(database.url, FAST_FAILURE);
    const admin = postgres(database.url, { max: 1 });
    try {
      await admin`
        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`;
      const seenOnB = storedOn(b.bus, "after the drop");
      const stored = await ingestOnceBack(a.store, "after the drop");
      expect(await seenOnB).toBe(stored.id);
      // And B hears of the next one by notification again, not only by catching up.
      const next = storedOn(b.bus, "next");
      await ingestBuffer(a.store, testMessage({ subject: "next" }));
      await next;
      // The two stores of this process listen through one session connection (change-listener.ts).
      const [listening] = await admin<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND query ILIKE 'LISTEN%'`;
      expect(listening?.n).toBe(1);
    } finally {
      await admin.end();
    }
  });
});
