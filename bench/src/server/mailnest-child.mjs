// The server under test, in its own process so its resident memory is its own. Forked by
// `server-process.ts` without tsx (plain Node on the built server), so the loader costs nothing.
import { defineConfig, startSandbox } from "@mailnest/server";
import { serveParent } from "./child-protocol.mjs";

/** @type {Partial<import("@mailnest/server").MailnestConfig>} */
const overrides = JSON.parse(process.argv[2] ?? "{}");
const sandbox = await startSandbox(defineConfig({ ...overrides, quiet: true }));
serveParent({ smtpPort: sandbox.smtpPort, httpPort: sandbox.httpPort }, () => sandbox.close());
