import { randomBytes } from "node:crypto";
import postgres from "postgres";

/** One database of its own for a test file, on the run's server; `drop()` removes it. */
export interface TestDatabase {
  /** `postgres://…/<name>`: what `--store` or `openPostgresStore` is given. */
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database on the server `serverUrl` points at (any database on it: the new one
 * gets the same host, port, user and password). Names are random, so test files running side by
 * side never share one, and a server the user provided (`MAILNEST_TEST_DATABASE_URL`) is left as
 * it was once `drop()` ran.
 */
export async function createDatabaseOn(serverUrl: string): Promise<TestDatabase> {
  const name = `mailnest_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        // WITH (FORCE): a Mailnest process killed by the test may still hold connections (PG 13+).
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await sql.end();
      }
    },
  };
}
