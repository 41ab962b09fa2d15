import { type ChildProcess, fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Target } from "../smtp-load.js";

/** A server under test running in a child process (its memory is measured through its pid). */
export interface ServerUnderTest {
  pid: number;
  smtp: Target;
  /** Base URL of the HTTP API, or null for the bare smtp-server ceiling. */
  apiUrl: string | null;
  dataDir: string | null;
  /** Runs a full garbage collection in the child and returns its memory usage afterwards. */
  /**
   * Memory once garbage is collected and the heap compacted, as V8 leaves it after some idle
   * seconds; `rssAfterGc` is the resident size after a plain full collection, just before that.
   */
  collectGarbage(): Promise<NodeJS.MemoryUsage & { rssAfterGc: number }>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Config overrides on top of the suite's defaults (see `BENCH_CONFIG`). */
  config?: Record<string, unknown>;
  /** Extra Node flags for the child, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /** Keep the data dir after close (to inspect it). */
  keepData?: boolean;
}

export class ServerStartError extends Error {
  override name = "ServerStartError" as const;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 30_000;

/**
 * The suite's server settings: retention above anything we store (50,000+ messages must stay), long
 * waits so 1,000 idle waiters do not churn, durability as shipped (data on disk, fsync on).
 */
export const BENCH_CONFIG = {
  host: HOST,
  smtpPort: 0,
  httpPort: 0,
  maxMessages: 1_000_000,
  maxConnections: 2_000,
  maxWaitMs: 60_000,
  quiet: true,
} as const;

interface ReadyMessage {
  type: "ready";
  smtpPort: number;
  httpPort: number | null;
}

export async function startMailnest(options: StartOptions = {}): Promise<ServerUnderTest> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "mailnest-bench-"));
  const config = { ...BENCH_CONFIG, dataDir, ...options.config };
  return startChild(
    "mailnest-child.mjs",
    [JSON.stringify(config)],
    options,
    async () => {
      if (!options.keepData) await rm(dataDir, { recursive: true, force: true });
    },
    dataDir,
  );
}

/** The bare, patched smtp-server that discards every message: the protocol engine's own ceiling. */
export async function startCeiling(options: StartOptions = {}): Promise<ServerUnderTest> {
  return startChild("ceiling-child.mjs", [], options, async () => {}, null);
}

async function startChild(
  script: string,
  args: string[],
  options: StartOptions,
  cleanup: () => Promise<void>,
  dataDir: string | null,
): Promise<ServerUnderTest> {
  const child = fork(path.join(HERE, script), args, {
    // Plain Node, not the parent's tsx loader: the child runs built JavaScript only.
    execArgv: ["--expose-gc", ...(options.nodeFlags ?? [])],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = await waitForMessage<ReadyMessage>(child, "ready", START_TIMEOUT_MS).catch(async (error) => {
    child.kill("SIGKILL");
    await cleanup();
    throw error;
  });
  const pid = child.pid;
  if (pid === undefined) throw new ServerStartError(`${script} did not get a pid`);

  let closed = false;
  return {
    pid,
    smtp: { host: HOST, port: ready.smtpPort },
    apiUrl: ready.httpPort === null ? null : `http://${HOST}:${ready.httpPort}`,
    dataDir,
    async collectGarbage() {
      const reply = waitForMessage<{ memory: NodeJS.MemoryUsage & { rssAfterGc: number } }>(
        child,
        "memory",
        30_000,
      );
      child.send({ type: "gc" });
      return (await reply).memory;
    },
    async close() {
      if (closed) return;
      closed = true;
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once("exit", () => resolve());
      });
      if (child.connected) child.send({ type: "close" });
      const timer = setTimeout(() => child.kill("SIGKILL"), CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      await cleanup();
    },
  };
}

function waitForMessage<M>(child: ChildProcess, type: string, timeoutMs: number): Promise<M> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      finish();
      reject(new ServerStartError(`no "${type}" from the server within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: unknown) => {
      if (typeof message === "object" && message !== null && (message as { type?: unknown }).type === type) {
        finish();
        resolve(message as M);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      finish();
      reject(new ServerStartError(`the server exited (code ${code}, signal ${signal}) before "${type}"`));
    };
    const finish = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}
