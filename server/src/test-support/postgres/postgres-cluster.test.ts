import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { useCleanup } from "../test-sandbox.js";
import { findPostgresBinaries } from "./postgres-binaries.js";
import { PostgresCluster, PostgresStartError } from "./postgres-cluster.js";
import { createTestDatabase } from "./use-test-database.js";

const cleanup = useCleanup();

describe("the tests' PostgreSQL", () => {
  it("the run's server gives each caller a database of its own, and drop() removes it", async () => {
    const first = await createTestDatabase(cleanup);
    const second = await createTestDatabase(cleanup);
    expect(first.url).not.toBe(second.url);
    const sql = postgres(first.url, { max: 1 });
    cleanup(() => sql.end());
    await sql`CREATE TABLE t (n int)`;
    await sql`INSERT INTO t VALUES (1)`;
    expect(await sql`SELECT current_database() AS name, count(*)::int AS n FROM t`).toEqual([
      { name: first.name, n: 1 },
    ]);
    await sql.end();
    await first.drop();
    const other = postgres(second.url, { max: 1 });
    cleanup(() => other.end());
    const names = await other`SELECT datname FROM pg_database WHERE datname = ${first.name}`;
    expect(names).toHaveLength(0);
  });

  it("a cluster of its own can be stopped and started again with its data, and destroy() leaves no server", async () => {
    const cluster = await PostgresCluster.create();
    cleanup(() => cluster.destroy());
    const sql = postgres(cluster.url(), { max: 1, onnotice: () => {} });
    cleanup(() => sql.end({ timeout: 1 }));
    await sql`CREATE TABLE kept (n int)`;
    await sql`INSERT INTO kept VALUES (42)`;

    await cluster.stop();
    expect(cluster.running).toBe(false);
    await expect(sql`SELECT 1`).rejects.toThrow();

    await cluster.start();
    expect(await sql`SELECT n FROM kept`).toEqual([{ n: 42 }]);
    await sql.end();

    const port = cluster.port;
    await cluster.destroy();
    const gone = postgres(`postgres://mailnest@127.0.0.1:${port}/postgres`, { max: 1, connect_timeout: 2 });
    cleanup(() => gone.end({ timeout: 1 }));
    await expect(gone`SELECT 1`).rejects.toThrow(/ECONNREFUSED/);
  });

  it("without server binaries, starting one fails with what to install, not a skip", async () => {
    const env = { MAILNEST_PG_BIN: "/nonexistent/bin" };
    expect(findPostgresBinaries(env)).toBeNull();
    const failure = PostgresCluster.create({ env });
    await expect(failure).rejects.toBeInstanceOf(PostgresStartError);
    await expect(failure).rejects.toThrow(/apt-get install postgresql.*MAILNEST_TEST_DATABASE_URL/);
  });
});
