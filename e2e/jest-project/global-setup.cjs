const { mkdtemp } = require("node:fs/promises");
const os = require("node:os");
const path = require("node:path");

/**
 * Starts one Mailnest for the whole Jest run and tells the workers where it listens through the
 * environment, which they inherit: the SDK reads MAILNEST_URL by itself. The server package is
 * ESM-only, so it is loaded with `import()` (global setup runs outside Jest's module sandbox).
 */
module.exports = async function globalSetup() {
  const { startSandbox, defineConfig } = await import("@mailnest/server");
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "mailnest-jest-"));
  const sandbox = await startSandbox(defineConfig({ smtpPort: 0, httpPort: 0, dataDir, quiet: true }));
  process.env.MAILNEST_URL = sandbox.url;
  process.env.MAILNEST_SMTP_PORT = String(sandbox.smtpPort);
  // Read by global-teardown.cjs, which runs in this same process.
  globalThis.__MAILNEST_JEST__ = { sandbox, dataDir };
};
