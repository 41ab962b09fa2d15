const { rm } = require("node:fs/promises");

module.exports = async function globalTeardown() {
  const started = globalThis.__MAILNEST_JEST__;
  if (!started) return;
  await started.sandbox.close();
  await rm(started.dataDir, { recursive: true, force: true });
};
