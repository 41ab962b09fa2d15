import { defineConfig } from "@playwright/test";

/**
 * Run by `playwright-fixture.test.ts` in a child process, against a server that test starts: the
 * specs here fail on purpose, to check what the `inbox` fixture attaches to the report. No browser.
 */
export default defineConfig({
  testDir: ".",
  testMatch: "*.fixture-spec.ts",
  workers: 1,
  retries: 0,
  timeout: 15_000,
  reporter: [["json"]],
  outputDir: process.env.MAILNEST_FIXTURE_OUTPUT ?? "test-results",
});
