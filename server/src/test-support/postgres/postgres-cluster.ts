import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { findPostgresBinaries } from "./postgres-binaries.js";

/** The superuser initdb creates; trust authentication on loopback, so no password is involved. */
const SUPERUSER = "mailnest";
/** How long a fresh cluster may take to accept connections (initdb is separate) on a busy machine. */
const READY_TIMEOUT_MS = 30_000;
/** How long a fast shutdown may take before the postmaster is killed. */
const STOP_TIMEOUT_MS = 15_000;
/** Lines of the server's log kept for error messages. */
const LOG_LINES = 40;
/** A port picked free can be taken before the postmaster binds it: start again on another, this often. */
const PORT_ATTEMPTS = 3;

export class PostgresStartError extends Error {
  override readonly name = "PostgresStartError";
}

export interface PostgresClusterOptions {
  /**
   * `fsync` of the server. Off by default for tests: the cluster is thrown away, and what the tests
   * kill is processes (Mailnest's, the postmaster), never the machine, so the page cache keeps every
   * committed WAL record either way; COMMIT still waits for the WAL write (`synchronous_commit` on).
   * The bench turns it on, so its figures are those of a durable server.
   */
  fsync?: boolean;
  /** Connections the server allows; several Mailnest pools and the tests' own clients share it. */
  maxConnections?: number;
  /** Where `MAILNEST_PG_BIN` is read (`findPostgresBinaries`); this process's environment by default. */
  env?: NodeJS.ProcessEnv;
}

/**
 * A throwaway PostgreSQL: `initdb` into a temp folder, the postmaster on 127.0.0.1 and a free
 * port, its Unix socket in the same folder. Run as the `postgres` user when this process is root
 * (PostgreSQL refuses to run as root). `stop()`/`start()` take it down and up again on the same
 * port and data (outage tests); `destroy()` stops it and removes the folder.
 *
 * The postmaster runs under a small `sh` that stops it (fast shutdown) when its stdin closes, so a
 * test runner killed without running its teardown does not leave a server behind.
 */
export class PostgresCluster {
  readonly #bin: string;
  readonly #root: string;
  readonly #owner: { uid: number; gid: number } | null;
  readonly #options: Required<Omit<PostgresClusterOptions, "env">>;
  #port = 0;
  #server: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #log: string[] = [];
  #removeExitHook: () => void = () => {};

  private constructor(
    bin: string,
    root: string,
    owner: { uid: number; gid: number } | null,
    options: Required<Omit<PostgresClusterOptions, "env">>,
  ) {
    this.#bin = bin;
    this.#root = root;
    this.#owner = owner;
    this.#options = options;
  }

  /** initdb + start. Throws a `PostgresStartError` that says what is missing or what the server logged. */
  static async create(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
    const bin = findPostgresBinaries(options.env);
    if (bin === null) {
      throw new PostgresStartError(
        "no PostgreSQL server binaries (initdb, postgres) found in MAILNEST_PG_BIN, /usr/lib/postgresql/*/bin, pg_config --bindir or PATH: install them (Debian/Ubuntu: apt-get install postgresql; `npm test` does it when root) or set MAILNEST_TEST_DATABASE_URL to a server the tests may create databases on",
      );
    }
    const owner = serverOwner();
    const root = mkdtempSync(path.join(tmpdir(), "mailnest-pg-"));
    const cluster = new PostgresCluster(bin, root, owner, {
      fsync: options.fsync ?? false,
      maxConnections: options.maxConnections ?? 300,
    });
    try {
      if (owner !== null) chownSync(root, owner.uid, owner.gid);
      cluster.#initdb();
      await cluster.#startOnFreePort();
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  get port(): number {
    return this.#port;
  }

  /** A URL for `database` (the default `postgres`, where databases are created). */
  url(database = "postgres"): string {
    return `postgres://${SUPERUSER}@127.0.0.1:${this.#port}/${encodeURIComponent(database)}`;
  }

  get running(): boolean {
    return this.#server !== null;
  }

  /** The last lines the server logged (for failure messages). */
  get log(): string {
    return this.#log.join("\n");
  }

  /** Fast shutdown (`pg_ctl stop -m fast`): clients are disconnected, the data stays. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    server.stdin?.end("keep\n");
    const timer = setTimeout(() => killGroup(server, "SIGKILL"), STOP_TIMEOUT_MS);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Starts the stopped server again on the same port and data. */
  async start(): Promise<void> {
    if (this.#server !== null) return;
    await this.#spawn();
  }

  /** Stops the server and removes its folder. Idempotent. */
  async destroy(): Promise<void> {
    await this.stop();
    this.#removeExitHook();
    rmSync(this.#root, { recursive: true, force: true });
  }

  #initdb(): void {
    const result = spawnSync(
      path.join(this.#bin, "initdb"),
      ["-D", this.#dataDir, "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"],
      { encoding: "utf8", ...(this.#owner ?? {}) },
    );
    if (result.status !== 0) {
      throw new PostgresStartError(
        `initdb (${this.#bin}) failed with ${result.error?.message ?? `exit ${result.status}`}: ${result.stderr.trim()}`,
      );
    }
  }

  async #startOnFreePort(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.#port = await freePort();
      try {
        await this.#spawn();
        return;
      } catch (error) {
        const portTaken = /could not (bind|create listen socket)/i.test(this.log);
        if (!portTaken || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
  }

  get #dataDir(): string {
    return path.join(this.#root, "data");
  }

  async #spawn(): Promise<void> {
    this.#log = [];
    const args = [
      "-D",
      this.#dataDir,
      "-p",
      String(this.#port),
      "-k",
      this.#root,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      `fsync=${this.#options.fsync ? "on" : "off"}`,
      "-c",
      `max_connections=${this.#options.maxConnections}`,
    ];
    // `read` returns when stop() writes "keep" or when stdin closes because the test runner died
    // without its teardown: a fast shutdown either way, and in the second case the folder goes too.
    const script =
      '"$0" "$@" & pid=$!; read -r cmd; kill -INT "$pid" 2>/dev/null; wait "$pid"; status=$?; [ "$cmd" = keep ] || rm -rf "$MAILNEST_PG_ROOT"; exit "$status"';
    const server = spawn("sh", ["-c", script, path.join(this.#bin, "postgres"), ...args], {
      env: { ...process.env, MAILNEST_PG_ROOT: this.#root },
      stdio: ["pipe", "ignore", "pipe"],
      detached: true,
      ...(this.#owner ?? {}),
    });
    this.#server = server;
    this.#exited = new Promise((resolve) => {
      server.once("close", () => {
        if (this.#server === server) this.#server = null;
        resolve();
      });
    });
    this.#removeExitHook(); // the previous start's, if this is a restart
    const hook = () => {
      killGroup(server, "SIGQUIT");
      rmSync(this.#root, { recursive: true, force: true });
    };
    process.once("exit", hook);
    this.#removeExitHook = () => process.off("exit", hook);

    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => {
        settle(
          new PostgresStartError(
            `PostgreSQL did not accept connections within ${READY_TIMEOUT_MS} ms:\n${this.log}`,
          ),
        );
        void this.stop();
      }, READY_TIMEOUT_MS);
      let pending = "";
      server.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          this.#log.push(line);
          if (this.#log.length > LOG_LINES) this.#log.shift();
          if (line.includes("database system is ready to accept connections")) settle();
        }
      });
      server.once("error", (error) => settle(new PostgresStartError(`could not run sh: ${error.message}`)));
      void this.#exited.then(() =>
        settle(new PostgresStartError(`PostgreSQL exited before accepting connections:\n${this.log}`)),
      );
    });
  }
}

/** The `postgres` user's ids when this process is root (the server refuses root); else null. */
function serverOwner(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new PostgresStartError(
      "running as root, and PostgreSQL refuses to run as root, but there is no `postgres` user to run it as (Debian's postgresql package creates it)",
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function killGroup(server: ChildProcess, signal: NodeJS.Signals): void {
  if (server.pid === undefined || server.exitCode !== null || server.signalCode !== null) return;
  try {
    process.kill(-server.pid, signal);
  } catch {
    // Already gone.
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
