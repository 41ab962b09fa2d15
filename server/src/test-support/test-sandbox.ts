import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { afterEach } from "vitest";
import { defineConfig, type MailnestConfig } from "../config.js";
import { type Sandbox, startSandbox } from "../sandbox.js";

/**
 * Registers an `afterEach` that runs the returned function's tasks, newest first. Call it at the top
 * of a test file; every sandbox, temp dir and socket a test opens goes through it.
 */
export function useCleanup(): (task: () => unknown) => void {
  const tasks: Array<() => unknown> = [];
  afterEach(async () => {
    for (const task of tasks.splice(0).reverse()) await task();
  });
  return (task) => {
    tasks.push(task);
  };
}

/** A fresh temp folder, removed by `cleanup`. */
export async function tempDir(
  cleanup: (task: () => unknown) => void,
  prefix = "mailnest-test-",
): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  cleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Loopback, free ports, silent; a data dir must be given (or null for in-memory). */
export function testConfig(dataDir: string | null, overrides: Partial<MailnestConfig> = {}): MailnestConfig {
  return defineConfig({ host: "127.0.0.1", smtpPort: 0, httpPort: 0, dataDir, quiet: true, ...overrides });
}

/** A sandbox on free ports with its own temp data dir; closed (and the dir removed) by `cleanup`. */
export async function startTestSandbox(
  cleanup: (task: () => unknown) => void,
  overrides: Partial<MailnestConfig> = {},
): Promise<Sandbox & { dataDir: string }> {
  const dataDir = await tempDir(cleanup);
  const sandbox = await startSandbox(testConfig(dataDir, overrides));
  cleanup(() => sandbox.close());
  return Object.assign(sandbox, { dataDir });
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Every file under `dir` whose bytes contain `marker`: proof that nothing of a message was left on disk. */
export async function filesContaining(dir: string, marker: string): Promise<string[]> {
  const found: string[] = [];
  const needle = Buffer.from(marker);
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await readFile(file)).includes(needle)) found.push(file);
  }
  return found;
}

/** A small RFC 5322 message with CRLF line endings. */
export function rfc822(options: {
  from?: string;
  to?: string;
  subject: string;
  body: string;
  headers?: string[];
}): string {
  const lines = [
    `From: ${options.from ?? "sender@example.test"}`,
    `To: ${options.to ?? "rcpt@example.test"}`,
    `Subject: ${options.subject}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@example.test>`,
    ...(options.headers ?? []),
    "",
    ...options.body.split(/\r?\n/),
  ];
  return `${lines.join("\r\n")}\r\n`;
}
