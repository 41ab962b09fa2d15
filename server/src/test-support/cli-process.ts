import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The CLI entry, run from source through tsx so tests need no build. */
const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The `mailnest` CLI as a real child process: its output, its exit, and the ports its banner printed. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<CliExit>;
  #stdout = "";
  #stderr = "";

  constructor(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
    // MAILNEST_* from the test runner's own environment must not leak into the child.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith("MAILNEST_")),
    );
    // POP3 and IMAP are on by default at 1110/1143: on free ports here, so CLI tests can run side by side.
    const freePorts = { MAILNEST_POP3_PORT: "0", MAILNEST_IMAP_PORT: "0" };
    this.child = spawn(process.execPath, ["--import", TSX_LOADER, MAIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { ...env, ...freePorts, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stdout += chunk;
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.child.once("close", (code, signal) => resolve({ code, signal }));
    });
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves with the bound ports once the startup banner is out; rejects if the process exits first. */
  async listening(timeoutMs = 20_000): Promise<{ smtpPort: number; url: string }> {
    const deadline = Date.now() + timeoutMs;
    let exitedEarly: CliExit | null = null;
    void this.exited.then((exit) => {
      exitedEarly = exit;
    });
    for (;;) {
      const smtp = /SMTP\s+smtp:\/\/\S+:(\d+)/.exec(this.#stdout);
      const web = /Web \+ API (http:\/\/\S+)/.exec(this.#stdout);
      if (smtp?.[1] && web?.[1]) return { smtpPort: Number(smtp[1]), url: web[1] };
      if (exitedEarly) {
        throw new Error(
          `mailnest exited (${JSON.stringify(exitedEarly)}) before listening:\n${this.#stderr}`,
        );
      }
      if (Date.now() > deadline)
        throw new Error(`mailnest did not start in ${timeoutMs} ms:\n${this.#stdout}${this.#stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** Runs the CLI to completion (for --help, --version, refused flags). */
export async function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const cli = new CliProcess(args, options);
  const exit = await cli.exited;
  return { ...exit, stdout: cli.stdout, stderr: cli.stderr };
}
