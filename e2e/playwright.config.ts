import { existsSync } from "node:fs";
import { defineConfig } from "@playwright/test";

/**
 * Playwright drives Debian's Chromium (`npm test` installs it with apt when run as root, see
 * scripts/ensure-test-tools.mjs): `CHROMIUM_PATH` wins, then /usr/bin/chromium, else Playwright's
 * own download (which that script fetches where there is no apt).
 */
function chromiumExecutable(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  return undefined;
}

const executablePath = chromiumExecutable();

export default defineConfig({
  testDir: "./tests",
  // One Mailnest for the whole run (see global-setup.ts); tests use fresh inbox addresses.
  globalSetup: "./global-setup.ts",
  // The machine has 2 cores, shared with the server under test.
  workers: 2,
  fullyParallel: true,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  outputDir: "test-results/artifacts",
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    headless: true,
    viewport: { width: 1280, height: 800 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      ...(executablePath ? { executablePath } : {}),
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        // Chromium puts sandboxed iframes in their own process, and Playwright's request routing does
        // not see requests from there: the network guard of the hostile-mail tests would be blind to
        // exactly the frame it watches. Keeping the frame in-process changes no security property
        // under test (sandbox flags, opaque origin, CSP); the tests prove the guard sees the frame by
        // observing the remote image request once the user allows it.
        "--disable-features=IsolateSandboxedIframes",
      ],
    },
  },
});
