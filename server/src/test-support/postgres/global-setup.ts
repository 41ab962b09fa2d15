import type { TestProject } from "vitest/node";
import { PostgresCluster } from "./postgres-cluster.js";

/**
 * Vitest's globalSetup (server/vitest.config.ts): one throwaway PostgreSQL for the whole run,
 * unless `MAILNEST_TEST_DATABASE_URL` names a server to use instead. Its URL reaches test files
 * through `provide`/`inject` (see `use-test-database.ts`). A server that cannot start does not stop
 * the run: the reason is provided instead, and every test that needs PostgreSQL fails with it,
 * while the others run as usual.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.MAILNEST_TEST_DATABASE_URL;
  if (given) {
    project.provide("mailnestPostgres", { url: given, error: null });
    return async () => {};
  }
  let cluster: PostgresCluster | null = null;
  try {
    cluster = await PostgresCluster.create();
    project.provide("mailnestPostgres", { url: cluster.url(), error: null });
  } catch (error) {
    project.provide("mailnestPostgres", {
      url: null,
      error: error instanceof Error ? error.message : String(error),
    });
  }
  return async () => {
    await cluster?.destroy();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's PostgreSQL server (`url`), or why there is none (`error`). */
    mailnestPostgres: { url: string | null; error: string | null };
  }
}
