import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // One throwaway PostgreSQL for the run (about half a second), for the tests of the PostgreSQL store.
    globalSetup: ["src/test-support/postgres/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
