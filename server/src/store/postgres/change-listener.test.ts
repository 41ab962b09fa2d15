import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabaseOn, type TestDatabase } from "../../test-support/postgres/test-database.js";
import { testPostgresServerUrl } from "../../test-support/postgres/use-test-database.js";
import { ChangeListener } from "./change-listener.js";

const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.splice(0).map((database) => database.drop()));
});

const PROPAGATION = { timeout: 15_000 };

/** What one subscriber heard. */
function recorder() {
  const heard = { notified: [] as string[], listening: 0 };
  return {
    heard,
    handlers: {
      notified: (payload: string) => heard.notified.push(payload),
      listening: () => {
        heard.listening += 1;
      },
    },
  };
}

describe("LISTEN subscriptions", () => {
  it("share one session connection per database, each channel heard by its own subscribers, through a drop", async () => {
    const database = await createDatabaseOn(testPostgresServerUrl());
    databases.push(database);
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    const sessions = async () =>
      (
        await admin<{ n: number }[]>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()`
      )[0]?.n;
    try {
      const one = recorder();
      const two = recorder();
      const three = recorder();
      const listeners = [
        new ChangeListener(database.url, {}, one.handlers, "mailnest_test_one"),
        new ChangeListener(database.url, {}, two.handlers, "mailnest_test_two"),
        new ChangeListener(database.url, {}, three.handlers, "mailnest_test_two"),
      ];
      for (const listener of listeners) await listener.start();

      expect(await sessions()).toBe(1);
      await admin`SELECT pg_notify('mailnest_test_one', 'a'), pg_notify('mailnest_test_two', 'b')`;
      await expect
        .poll(() => [one.heard.notified, two.heard.notified, three.heard.notified], PROPAGATION)
        .toEqual([["a"], ["b"], ["b"]]);

      // The connection dropped: every channel is listened to again, and every subscriber told.
      await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                  WHERE datname = current_database() AND pid <> pg_backend_pid()`;
      await expect
        .poll(() => [one.heard.listening, two.heard.listening, three.heard.listening], PROPAGATION)
        .toEqual([2, 2, 2]);
      await admin`SELECT pg_notify('mailnest_test_one', 'c'), pg_notify('mailnest_test_two', 'd')`;
      await expect
        .poll(() => [one.heard.notified, three.heard.notified], PROPAGATION)
        .toEqual([
          ["a", "c"],
          ["b", "d"],
        ]);

      // One subscriber gone, the others still hear; the last one out closes the connection.
      await listeners[1]!.close();
      await admin`SELECT pg_notify('mailnest_test_two', 'e')`;
      await expect.poll(() => three.heard.notified, PROPAGATION).toEqual(["b", "d", "e"]);
      expect(two.heard.notified).toEqual(["b", "d"]);
      await listeners[0]!.close();
      await listeners[2]!.close();
      await expect.poll(sessions, PROPAGATION).toBe(0);
    } finally {
      await admin.end();
    }
  });
});
