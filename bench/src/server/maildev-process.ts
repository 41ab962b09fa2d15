import { type ChildProcess, spawn } from "node:child_process";
import { copyFile, mkdir, readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SmtpConnection } from "../smtp/smtp-connection.js";
import type { ServerUnderTest } from "./server-process.js";

/**
 * MailDev, run beside Mailnest in the same bench run: the peer issue 18 compares ingest with (it
 * keeps mail in memory, no fsync). Installed from `bench/peers/maildev` (a manifest and its
 * lockfile, so every run measures the same 265 packages) with `npm ci` into `bench/.peers/maildev`,
 * outside the pnpm workspace: none of it is a dependency of Mailnest or of its tests.
 */
export const MAILDEV_VERSION = "3.0.0";

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MANIFEST_DIR = path.join(BENCH_DIR, "peers", "maildev");
const INSTALL_DIR = path.join(BENCH_DIR, ".peers", "maildev");
const INSTALL_TIMEOUT_MS = 5 * 60_000;
const START_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 10_000;
const HOST = "127.0.0.1";

/** MailDev could not be installed or started; the bench reports its rows as not measured. */
export class PeerUnavailableError extends Error {
  override name = "PeerUnavailableError" as const;
}

/**
 * Installs MailDev unless the installed copy was made from the same lockfile; resolves with the path
 * of its CLI. Needs npm and the registry (the first time only).
 */
export async function installMailDev(log: (line: string) => void): Promise<string> {
  const bin = path.join(INSTALL_DIR, "node_modules", "maildev", "dist", "bin", "maildev.js");
  const wanted = await readFile(path.join(MANIFEST_DIR, "package-lock.json"), "utf8");
  const installed = await readFile(path.join(INSTALL_DIR, "package-lock.json"), "utf8").catch(() => null);
  const version = await readFile(path.join(INSTALL_DIR, "node_modules", "maildev", "package.json"), "utf8")
    .then((text) => (JSON.parse(text) as { version?: string }).version)
    .catch(() => null);
  if (installed === wanted && version === MAILDEV_VERSION) return bin;

  log(
    `maildev: installing MailDev ${MAILDEV_VERSION} into ${path.relative(BENCH_DIR, INSTALL_DIR)} (npm ci)`,
  );
  await mkdir(INSTALL_DIR, { recursive: true });
  await copyFile(path.join(MANIFEST_DIR, "package.json"), path.join(INSTALL_DIR, "package.json"));
  await copyFile(path.join(MANIFEST_DIR, "package-lock.json"), path.join(INSTALL_DIR, "package-lock.json"));
  // No install scripts: MailDev needs none, and a peer's package should not run code at install time.
  await run(
    process.platform === "win32" ? "npm.cmd" : "npm",
    ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
    INSTALL_DIR,
    INSTALL_TIMEOUT_MS,
  );
  return bin;
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
    const stderr = tailOf(child);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new PeerUnavailableError(`${command} ${args.join(" ")}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new PeerUnavailableError(
            `${command} ${args.join(" ")} in ${cwd} ended with ${signal ?? `exit code ${code}`}: ${stderr().trim()}`,
          ),
        );
    });
  });
}

/** A running MailDev: the bench's server handle, plus emptying its in-memory store. */
export interface MailDevUnderTest extends ServerUnderTest {
  /** Deletes every stored email (`DELETE /api/email/all`), as the warm-up does for Mailnest. */
  clear(): Promise<void>;
}

/**
 * Starts MailDev's own CLI as a user would (in-memory store, web interface on), bound to loopback
 * and `--silent` (Mailnest runs quiet too). Resolves once its SMTP port greets.
 */
export async function startMailDev(bin: string): Promise<MailDevUnderTest> {
  const [smtpPort, webPort] = [await freePort(), await freePort()];
  // Its configuration comes from the command line only: no MAILDEV_* variable from the caller's
  // environment, and a working directory without a .maildevrc.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("MAILDEV_")),
  );
  const child = spawn(
    process.execPath,
    [bin, "--smtp", String(smtpPort), "--ip", HOST, "--web", String(webPort), "--web-ip", HOST, "--silent"],
    { cwd: INSTALL_DIR, env, stdio: ["ignore", "ignore", "pipe"] },
  );
  const stderr = tailOf(child);
  const pid = child.pid;
  try {
    if (pid === undefined) throw new PeerUnavailableError("MailDev did not start (no pid)");
    await waitForGreeting(child, smtpPort, START_TIMEOUT_MS, stderr);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const apiBase = `http://${HOST}:${webPort}/api`;
  return {
    pid: pid as number,
    smtp: { host: HOST, port: smtpPort },
    // Not Mailnest's API: the suite's Mailnest-only probes must not be pointed at it.
    apiUrl: null,
    dataDir: null,
    async clear() {
      const response = await fetch(`${apiBase}/email/all`, { method: "DELETE" });
      if (!response.ok)
        throw new PeerUnavailableError(`MailDev: DELETE /api/email/all answered ${response.status}`);
    },
    async collectGarbage() {
      throw new PeerUnavailableError("MailDev runs without the suite's garbage-collection hook");
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port the kernel had free a moment ago (MailDev takes no port 0 and does not say which it got). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Until a connection to `port` reads a 220 greeting (MailDev greets after smtp-server's 100 ms delay). */
async function waitForGreeting(
  child: ChildProcess,
  port: number,
  timeoutMs: number,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new PeerUnavailableError(`MailDev exited before listening: ${stderr().trim() || "no output"}`);
    }
    if (await greets(port)) return;
    if (Date.now() > deadline) {
      throw new PeerUnavailableError(`MailDev did not greet on port ${port} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether a connection to `port` gets its 220 now (the suite's own SMTP client reads it). */
async function greets(port: number): Promise<boolean> {
  try {
    const { connection } = await SmtpConnection.open(HOST, port, { replyTimeoutMs: 2_000 });
    connection.destroy();
    return true;
  } catch {
    return false;
  }
}

/** The last 2,000 characters a child wrote to stderr, for the error that names why it failed. */
function tailOf(child: ChildProcess): () => string {
  let tail = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-2_000);
  });
  return () => tail;
}
