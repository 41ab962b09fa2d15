/**
 * A plain CommonJS Jest project, as many apps still have: it `require`s the SDK's CommonJS build and
 * gets the matchers from the one-line setup below. `globalSetup` starts a Mailnest for the run.
 * @type {import("jest").Config}
 */
module.exports = {
  rootDir: __dirname,
  testMatch: ["<rootDir>/**/*.test.cjs"],
  testEnvironment: "node",
  globalSetup: "<rootDir>/global-setup.cjs",
  globalTeardown: "<rootDir>/global-teardown.cjs",
  setupFilesAfterEnv: ["@mailnest/client/jest"],
  // Nothing to compile: the files are plain CommonJS.
  transform: {},
  testTimeout: 20_000,
  // The machine has 2 cores, shared with the server under test.
  maxWorkers: 2,
};
