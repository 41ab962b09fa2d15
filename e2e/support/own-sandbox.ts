import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { defineConfig, type MailnestConfig, type Sandbox, startSandbox } from "@mailnest/server";
import { test } from "@playwright/test";
import { WEB_ROOT } from "./paths.js";

export interface OwnSandbox {
  sandbox: Sandbox;
  close(): Promise<void>;
}

/** A Mailnest of the test's own, for configurations the shared one does not have (e.g. `apiToken`). */
export async function startOwnSandbox(overrides: Partial<MailnestConfig> = {}): Promise<OwnSandbox> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "mailnest-e2e-own-"));
  const sandbox = await startSandbox(
    defineConfig({ smtpPort: 0, httpPort: 0, dataDir, quiet: true, webRoot: WEB_ROOT, ...overrides }),
  );
  return {
    sandbox,
    async close() {
      await sandbox.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a sandbox of the spec's own before its tests and closes it after them. The answer reads
 * the sandbox when a test asks for it (`own.sandbox`), which is after `beforeAll` ran.
 */
export function useOwnSandbox(overrides: Partial<MailnestConfig> = {}): { readonly sandbox: Sandbox } {
  let own: OwnSandbox | undefined;
  test.beforeAll(async () => {
    own = await startOwnSandbox(overrides);
  });
  test.afterAll(async () => {
    await own?.close();
  });
  return {
    get sandbox() {
      if (own === undefined)
        throw new Error("useOwnSandbox: the sandbox is read before beforeAll started it");
      return own.sandbox;
    },
  };
}
