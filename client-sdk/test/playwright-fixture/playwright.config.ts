import { defineConfig } from "@playwright/test";

/**
 * Run by `playwright-fixture.test.ts` in a child process, against a server that test starts: the
 * specs here fail on purpose, to check what the `inbox` fixture attaches to the report. No browser.
 * The server's URL comes through the `mailnest` option, as a user's config would set it (the test
 * leaves MAILNEST_URL unset), and `defineConfig` takes the option without type arguments.
 */
const url = process.env.MAILNEST_FIXTURE_URL;

export default defineConfig({
  use: { mailnest: url ? { url } : {} },
  testDir: ".",
  testMatch: "*.fixture-spec.ts",
  workers: 1,
  retries: 0,
  timeout: 15_000,
  reporter: [["json"]],
  outputDir: process.env.MAILNEST_FIXTURE_OUTPUT ?? "test-results",
});
