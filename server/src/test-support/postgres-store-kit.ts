import { systemClock } from "../clock.js";
import { EventBus } from "../events/bus.js";
import { messageParser } from "../smtp/parse-message.js";
import type { MessageStore } from "../store/message-store.js";
import { openPostgresStore, type PostgresStoreDeps } from "../store/postgres/postgres-message-store.js";
import { createDatabaseOn, type TestDatabase } from "./postgres/test-database.js";
import { testPostgresServerUrl } from "./postgres/use-test-database.js";
import { recordStoreEvents } from "./store-kit.js";

export type PostgresStoreOptions = Partial<Omit<PostgresStoreDeps, "policy">> & {
  maxMessages?: number;
  maxAgeMs?: number | null;
};

/**
 * PostgreSQL stores of one test file, each on its bus with an event recorder, on fresh databases of
 * the run's server (`createTestDatabase`: fails, never skips, when there is none). `cleanup()`
 * (afterEach) closes the stores; the databases are dropped by `dropDatabases` (afterAll).
 */
export function createPostgresStoreKit() {
  const stores: MessageStore[] = [];
  const databases: TestDatabase[] = [];

  return {
    /** A new empty database; several stores may open it (instances of one sandbox). */
    async database(): Promise<TestDatabase> {
      const database = await createDatabaseOn(testPostgresServerUrl());
      databases.push(database);
      return database;
    },

    async open(url: string, options: PostgresStoreOptions = {}) {
      const bus = options.bus ?? new EventBus();
      const recorder = recordStoreEvents(bus);
      const store = await openPostgresStore(url, {
        parser: options.parser ?? messageParser,
        bus,
        clock: options.clock ?? systemClock,
        authenticator: options.authenticator ?? null,
        policy: { maxMessages: options.maxMessages ?? 10_000, maxAgeMs: options.maxAgeMs ?? null },
        ...(options.connection ? { connection: options.connection } : {}),
      });
      stores.push(store);
      return { store, bus, ...recorder };
    },

    async cleanup(): Promise<void> {
      await Promise.all(stores.splice(0).map((store) => store.close()));
    },

    async dropDatabases(): Promise<void> {
      await Promise.all(databases.splice(0).map((database) => database.drop()));
    },
  };
}
