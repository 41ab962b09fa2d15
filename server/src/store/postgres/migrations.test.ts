import postgres from "postgres";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createPostgresStoreKit } from "../../test-support/postgres-store-kit.js";
import { ingestBuffer, testMessage } from "../../test-support/store-kit.js";
import { StorageFailedError } from "../errors.js";
import { connect } from "./connect.js";
import { MIGRATIONS, migrate } from "./schema.js";

const kit = createPostgresStoreKit();
afterEach(() => kit.cleanup());
afterAll(() => kit.dropDatabases());

/** How long a change may take to reach another instance (or a timer to fire) on a loaded machine. */
const PROPAGATION = { timeout: 15_000 };

async function appliedMigrations(url: string): Promise<number[]> {
  const sql = postgres(url, { max: 1 });
  try {
    const rows = await sql<
      { version: number }[]
    >`SELECT version FROM mailnest_schema_migrations ORDER BY version`;
    return rows.map((row) => row.version);
  } finally {
    await sql.end();
  }
}

describe("schema migrations", () => {
  it("three instances opening a fresh database at once migrate it once, and all of them work", async () => {
    const database = await kit.database();
    const opened = await Promise.all([1, 2, 3].map(() => kit.open(database.url)));
    expect(await appliedMigrations(database.url)).toEqual(MIGRATIONS.map((migration) => migration.version));
    const stored = await ingestBuffer(opened[0]!.store, testMessage());
    await expect.poll(() => opened[2]!.store.summary(stored.id)?.id, PROPAGATION).toBe(stored.id);
  });

  it("migrating an up-to-date database does nothing and keeps the data", async () => {
    const database = await kit.database();
    const { store } = await kit.open(database.url);
    await ingestBuffer(store, testMessage());
    const sql = connect(database.url, { max: 1 });
    try {
      expect(await migrate(sql)).toEqual([]);
      expect(await sql`SELECT count(*)::int AS n FROM mailnest_messages`).toEqual([{ n: 1 }]);
    } finally {
      await sql.end();
    }
  });

  it("refuses a database whose schema is newer than this Mailnest, saying which versions", async () => {
    const database = await kit.database();
    await (await kit.open(database.url)).store.close();
    const sql = postgres(database.url, { max: 1 });
    await sql`INSERT INTO mailnest_schema_migrations (version, name) VALUES (999, 'from the future')`;
    await sql.end();
    const opening = kit.open(database.url);
    await expect(opening).rejects.toBeInstanceOf(StorageFailedError);
    const latest = Math.max(...MIGRATIONS.map((migration) => migration.version));
    await expect(opening).rejects.toThrow(
      new RegExp(`schema is at version 999, newer than this Mailnest knows \\(${latest}\\)`),
    );
  });

  it("an unreachable database fails the open with StorageFailedError naming the URL without its password", async () => {
    const opening = kit.open("postgres://mailnest:secret@127.0.0.1:1/nowhere", {
      connection: { connectTimeoutSeconds: 2 },
    });
    await expect(opening).rejects.toBeInstanceOf(StorageFailedError);
    await expect(opening).rejects.toThrow(/postgres:\/\/mailnest:\*\*\*@127\.0\.0\.1:1\/nowhere/);
  });
});
