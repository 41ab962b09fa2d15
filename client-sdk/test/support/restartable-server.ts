import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { apiPaths, type Health } from "@mailnest/protocol";
import { defineConfig, type Sandbox, startSandbox } from "@mailnest/server";
import nodemailer from "nodemailer";
import type Mail from "nodemailer/lib/mailer/index.js";
import { Mailnest, type MailnestOptions } from "../../src/index.js";

/**
 * A Mailnest that a test can stop and start again on the same ports and the same data directory,
 * the way a redeploy does: in this process (`sandbox.close()`, what SIGTERM does) or as the real
 * CLI in a child process, which a test can also `kill -9`.
 */
export interface RestartableServer {
  /** The HTTP base URL: the same across restarts. */
  readonly url: string;
  client(options?: MailnestOptions): Mailnest;
  /** Sends through the SMTP port; resolves once the server has stored the message (250). */
  send(message: Mail.Options): Promise<void>;
  /** Resolves once the server holds at least `count` long-poll waits open. */
  waiters(count: number): Promise<void>;
  /** Stops the server: a graceful close, or for the CLI any signal (`SIGKILL` for kill -9). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and data directory. */
  start(): Promise<void>;
  /** Stops it and removes the data directory. */
  close(): Promise<void>;
}

interface Runner {
  smtpPort: number;
  url: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** In this process, through `startSandbox`. */
export function startInProcess(): Promise<RestartableServer> {
  return restartable(async (dataDir, ports) => {
    const sandbox: Sandbox = await startSandbox(
      defineConfig({ host: "127.0.0.1", ...ports, dataDir, quiet: true }),
    );
    return { smtpPort: sandbox.smtpPort, url: sandbox.url, stop: () => sandbox.close() };
  });
}

/** The built CLI, started the way npm's `mailnest` bin starts it, as a child process. */
export function startCli(): Promise<RestartableServer> {
  const manifestFile = createRequire(import.meta.url).resolve("@mailnest/server/package.json");
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as { bin: { mailnest: string } };
  const main = path.join(path.dirname(manifestFile), manifest.bin.mailnest);
  return restartable(async (dataDir, ports) => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith("MAILNEST_")),
    );
    const child = spawn(
      process.execPath,
      [
        main,
        "--host",
        "127.0.0.1",
        "--smtp-port",
        String(ports.smtpPort),
        "--http-port",
        String(ports.httpPort),
        "--data-dir",
        dataDir,
      ],
      // POP3 and IMAP (on by default at 1110/1143) are not what these tests exercise.
      {
        env: { ...env, MAILNEST_POP3_PORT: "off", MAILNEST_IMAP_PORT: "off" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
    const { smtpPort, url } = await banner(child);
    return {
      smtpPort,
      url,
      async stop(signal = "SIGTERM") {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        await exited;
      },
    };
  });
}

async function restartable(
  run: (dataDir: string, ports: { smtpPort: number; httpPort: number }) => Promise<Runner>,
): Promise<RestartableServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "mailnest-restart-"));
  let current: Runner | null = await run(dataDir, { smtpPort: 0, httpPort: 0 });
  const ports = { smtpPort: current.smtpPort, httpPort: Number(new URL(current.url).port) };
  const url = current.url;
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: ports.smtpPort,
    secure: false,
    ignoreTLS: true,
  });
  const stop = async (signal?: NodeJS.Signals) => {
    const running = current;
    current = null;
    await running?.stop(signal);
  };
  return {
    url,
    client: (options = {}) => new Mailnest({ url, timeout: 5_000, token: null, ...options }),
    async send(message) {
      await transport.sendMail({ from: "The App <noreply@app.test>", ...message });
    },
    async waiters(count) {
      for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(10)) {
        const response = await fetch(`${url}${apiPaths.health()}`);
        if (((await response.json()) as Health).waiters >= count) return;
      }
      throw new Error(`the server did not hold ${count} waits within 5 s`);
    },
    stop,
    async start() {
      if (current !== null) throw new Error("the server is running");
      current = await run(dataDir, ports);
    },
    async close() {
      transport.close();
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The ports the CLI's startup banner printed; rejects if it exits first. */
async function banner(child: ChildProcess): Promise<{ smtpPort: number; url: string }> {
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(25)) {
    const smtp = /SMTP\s+smtp:\/\/\S+:(\d+)/.exec(output);
    const web = /Web \+ API (http:\/\/\S+)/.exec(output);
    if (smtp?.[1] && web?.[1]) return { smtpPort: Number(smtp[1]), url: web[1] };
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mailnest exited before listening:\n${output}`);
    }
  }
  throw new Error(`mailnest did not start within 15 s:\n${output}`);
}
