// The server under test, in its own process so its resident memory is its own. Forked by
// `server-process.ts` without tsx (plain Node on the built server), so the loader costs nothing.
import { defineConfig, startSandbox, tuneV8ForServer } from "@mailnest/server";
import { serveParent } from "./child-protocol.mjs";

/** @type {Partial<import("@mailnest/server").MailnestConfig>} */
const overrides = JSON.parse(process.argv[2] ?? "{}");
// What the `mailnest` CLI does before it starts: the figures are the shipped server's.
tuneV8ForServer();
const sandbox = await startSandbox(defineConfig({ ...overrides, quiet: true }));
serveParent({ smtpPort: sandbox.smtpPort, httpPort: sandbox.httpPort }, () => sandbox.close());
