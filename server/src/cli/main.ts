import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { MailnestConfig } from "../config.js";
import { ZoneFileError } from "../deliverability/zone-file.js";
import type { Sandbox } from "../sandbox.js";
import { SandboxSettingError } from "../sandbox-setting-error.js";
import { isTlsCertificateError } from "../smtp/tls-certificate-error.js";
import { isDataDirInUseError, isStorageFailedError } from "../store/errors.js";
import { readAheadDataDir } from "../store/read-ahead.js";
import { tuneV8ForServer } from "../v8-tuning.js";
import { SERVER_PACKAGE_ROOT, SERVER_VERSION } from "../version.js";
import { startupBanner } from "./banner.js";
import { isConfigError } from "./config-error.js";
import { helpText } from "./help-text.js";
import { parseCommandLine } from "./parse-config.js";
import { mergeSmtpUsers, readSmtpUsersFile } from "./smtp-users.js";

/** Exit codes: 0 ok (including a clean shutdown), 1 failed to run, 2 unusable flags or environment. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

async function main(): Promise<void> {
  const version = SERVER_VERSION;
  let command: ReturnType<typeof parseCommandLine>;
  try {
    command = parseCommandLine(process.argv.slice(2), process.env, process.cwd());
  } catch (error) {
    if (!isConfigError(error)) throw error;
    process.stderr.write(`mailnest: ${error.message}\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (command.kind === "help") {
    process.stdout.write(helpText(version));
    return;
  }
  if (command.kind === "version") {
    process.stdout.write(`${version}\n`);
    return;
  }

  const config = { ...command.config, webRoot: findWebRoot() };
  if (command.smtpAuthFile !== null) {
    try {
      const fromFile = await readSmtpUsersFile(command.smtpAuthFile);
      config.smtpUsers = mergeSmtpUsers(config.smtpUsers, fromFile, command.smtpAuthFile);
    } catch (error) {
      if (!isConfigError(error)) throw error;
      process.stderr.write(`mailnest: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
  }
  if (command.retrievalAuthFile !== null) {
    try {
      config.retrievalUsers = await readSmtpUsersFile(command.retrievalAuthFile, "--retrieval-auth-file");
    } catch (error) {
      if (!isConfigError(error)) throw error;
      process.stderr.write(`mailnest: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
  }
  for (const warning of command.warnings) process.stderr.write(`mailnest: WARNING: ${warning}\n`);

  // The embedded store's first reads start now and run while the rest of the server loads (about
  // 300 ms of compiling and evaluating code): see store/read-ahead.ts.
  if (config.databaseUrl === null && config.dataDir !== null) readAheadDataDir(config.dataDir);
  // The handlers come first: a SIGTERM while the server starts (a supervisor or a test harness that
  // stops it as soon as its port answers) must close it cleanly once it is up, not kill it as the
  // default action would, which left a crash to recover from and an empty segment behind.
  let sandbox: Sandbox | null = null;
  let stopping: NodeJS.Signals | null = null;
  const close = (running: Sandbox) => {
    running.close().then(
      () => {
        if (!config.quiet) process.stdout.write("mailnest: stopped\n");
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`mailnest: shutdown failed: ${describe(error)}\n`);
        process.exit(EXIT_FAILED);
      },
    );
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping !== null) {
      // A second Ctrl-C means "now". Nothing acknowledged is lost: every 250 was given after fsync.
      process.stderr.write(`mailnest: ${signal} again, exiting without waiting\n`);
      process.exit(EXIT_FAILED);
    }
    stopping = signal;
    if (!config.quiet) process.stdout.write(`mailnest: ${signal} received, finishing messages in flight…\n`);
    if (sandbox !== null) close(sandbox);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  tuneV8ForServer();
  const { startSandbox } = await import("../sandbox.js");
  try {
    sandbox = await startSandbox(config);
  } catch (error) {
    throw listenRefusal(error, config) ?? error;
  }
  if (stopping !== null) {
    close(sandbox);
    return;
  }
  if (!config.quiet) process.stdout.write(`${startupBanner(sandbox, version).join("\n")}\n`);
}

/**
 * The built viewer: `web/` in the installed package (scripts/prepack.mjs copies it there), else the
 * workspace's `web/dist` beside the server folder; null when neither has been built.
 */
function findWebRoot(): string | null {
  for (const candidate of ["web/", "../web/dist/"]) {
    const root = fileURLToPath(new URL(candidate, SERVER_PACKAGE_ROOT));
    if (existsSync(path.join(root, "index.html"))) return root;
  }
  return null;
}

/** Each listener's port setting, the flag that sets it, and whether that flag takes `off`. */
const LISTENERS = [
  { key: "smtpPort", what: "SMTP", flag: "--smtp-port", off: false },
  { key: "smtpsPort", what: "SMTP with implicit TLS", flag: "--smtps-port", off: true },
  { key: "httpPort", what: "HTTP", flag: "--http-port", off: false },
  { key: "pop3Port", what: "POP3", flag: "--pop3-port", off: true },
  { key: "pop3sPort", what: "POP3 with implicit TLS", flag: "--pop3s-port", off: true },
  { key: "imapPort", what: "IMAP", flag: "--imap-port", off: true },
  { key: "imapsPort", what: "IMAP with implicit TLS", flag: "--imaps-port", off: true },
] as const;

/**
 * `listen EADDRINUSE: address already in use 127.0.0.1:1110` names no listener, and a user who never
 * asked for POP3 does not know that port: the listener and the flag that moves it are named, in a
 * one-line error.
 */
function listenRefusal(error: unknown, config: MailnestConfig): SandboxSettingError | null {
  const refused = error as NodeJS.ErrnoException & { port?: unknown; address?: unknown };
  if (refused?.syscall !== "listen" || typeof refused.port !== "number") return null;
  const listener = LISTENERS.find(({ key }) => config[key] === refused.port);
  if (listener === undefined) return null;
  const where = `${String(refused.address ?? config.host)}:${refused.port}`;
  const why =
    refused.code === "EADDRINUSE" ? "is in use by another program" : `cannot be opened (${refused.code})`;
  const fix = listener.off
    ? `give ${listener.flag} another port, or off`
    : `give ${listener.flag} another port`;
  return new SandboxSettingError(`the ${listener.what} port ${where} ${why}: ${fix}`, { cause: error });
}

const MACHINE_REFUSALS = new Set([
  "EADDRINUSE",
  "EACCES",
  "EADDRNOTAVAIL",
  "ENOSPC",
  "EDQUOT",
  "EROFS",
  "EPERM",
]);

function describe(error: unknown): string {
  if (
    isTlsCertificateError(error) ||
    isDataDirInUseError(error) ||
    isStorageFailedError(error) ||
    error instanceof ZoneFileError ||
    error instanceof SandboxSettingError
  ) {
    return error.message;
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    // What the machine refused (a port taken, a full or read-only disk) is said in one line; only
    // what looks like a bug gets its stack.
    return code !== undefined && MACHINE_REFUSALS.has(code) ? error.message : (error.stack ?? error.message);
  }
  return String(error);
}

main().catch((error: unknown) => {
  process.stderr.write(`mailnest: could not start: ${describe(error)}\n`);
  process.exit(EXIT_FAILED);
});
