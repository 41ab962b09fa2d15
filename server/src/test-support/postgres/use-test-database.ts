import { inject } from "vitest";
import { createDatabaseOn, type TestDatabase } from "./test-database.js";

/**
 * The URL of the run's PostgreSQL server (started by `global-setup.ts`, or the user's
 * `MAILNEST_TEST_DATABASE_URL`). Throws the reason when there is none: a test that needs
 * PostgreSQL fails, it is never skipped.
 */
export function testPostgresServerUrl(): string {
  const provided = inject("mailnestPostgres");
  if (provided?.url) return provided.url;
  throw new Error(
    `this test needs PostgreSQL and none could be started: ${provided?.error ?? "server/vitest.config.ts's globalSetup did not run"}`,
  );
}

/**
 * A fresh, empty database on the run's server, dropped by `cleanup` (e.g. `useCleanup()` from
 * `test-sandbox.ts`, after each test; or `(task) => afterAll(task)` registered at the top of a file).
 */
export async function createTestDatabase(cleanup: (task: () => unknown) => void): Promise<TestDatabase> {
  const database = await createDatabaseOn(testPostgresServerUrl());
  cleanup(() => database.drop());
  return database;
}
