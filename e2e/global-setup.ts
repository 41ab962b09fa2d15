import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { defineConfig, startSandbox } from "@mailnest/server";
import { WEB_ROOT } from "./support/paths.js";

/**
 * Starts the one Mailnest every Playwright test talks to (its own temp data dir, free ports) and
 * publishes where it listens in `process.env`, which the worker processes inherit. Tests that need
 * a differently configured server (an API token, say) start their own in `beforeAll`.
 * The returned function is Playwright's global teardown.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(path.join(WEB_ROOT, "index.html"))) {
    throw new Error(
      `The web viewer is not built (${WEB_ROOT}/index.html is missing). Run: npx -y pnpm@10.34.8 --filter @mailnest/web build`,
    );
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "mailnest-e2e-"));
  const sandbox = await startSandbox(
    defineConfig({ smtpPort: 0, httpPort: 0, dataDir, quiet: true, webRoot: WEB_ROOT }),
  );
  process.env.MAILNEST_URL = sandbox.url;
  process.env.MAILNEST_SMTP_PORT = String(sandbox.smtpPort);
  return async () => {
    await sandbox.close();
    await rm(dataDir, { recursive: true, force: true });
  };
}
