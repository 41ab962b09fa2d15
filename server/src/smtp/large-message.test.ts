import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { SmtpTestClient } from "../test-support/smtp-test-client.js";
import { tempDir, useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();
/** 25 MB raw: just under the default 25 MiB --max-message-size, the largest message we promise to take. */
const MESSAGE_BYTES = 25_000_000;
/**
 * Issue 7's target is < 2× the message size (checked by `pnpm bench`); a test leaves room for a
 * busy machine and GC timing, but a server that buffers the raw bytes, its base64 text, the decoded
 * attachment and a copy for the parser at once would still exceed it.
 */
const GROWTH_BOUND = 3 * MESSAGE_BYTES;

/**
 * The server under test runs in its own process so that nothing else in the test run (other test
 * files, this file's 25 MB buffer) shows up in its resident memory. It reports its RSS after a full
 * GC once listening, and its peak RSS (VmHWM, reset once it is ready) when asked.
 */
const CHILD_SCRIPT = `
import { readFileSync, writeFileSync } from "node:fs";
const { startSandbox } = await import(process.env.SANDBOX_MODULE);
const { defineConfig } = await import(process.env.CONFIG_MODULE);
const sandbox = await startSandbox(defineConfig({
  host: "127.0.0.1", smtpPort: 0, httpPort: 0, dataDir: process.env.DATA_DIR, quiet: true,
}));
const hwm = () => Number(/^VmHWM:\\s+(\\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) * 1024;
globalThis.gc(); globalThis.gc();
let peakResettable = true;
try { writeFileSync("/proc/self/clear_refs", "5"); } catch { peakResettable = false; }
let sampledPeak = process.memoryUsage().rss;
const sampler = setInterval(() => { sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss); }, 5);
process.send({ type: "ready", smtpPort: sandbox.smtpPort, baselineRss: process.memoryUsage().rss });
process.on("message", async (message) => {
  if (message !== "report") return;
  clearInterval(sampler);
  const peak = Math.max(sampledPeak, process.memoryUsage().rss, peakResettable ? hwm() : 0);
  const stored = sandbox.store.messageCount;
  await sandbox.close();
  process.send({ type: "report", peakRss: peak, peakResettable, stored });
  process.disconnect();
});
`;

function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string }) => {
      if (message.type !== type) return;
      child.off("exit", onExit);
      child.off("message", onMessage);
      resolve(message as T);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`the server process exited (${code}) before "${type}"`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

function largeMessage(bytes: number): Buffer {
  const head =
    "From: big@example.test\r\nTo: inbox@mailnest.test\r\nSubject: large\r\nMIME-Version: 1.0\r\n" +
    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n' +
    '--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="big.bin"\r\n' +
    "Content-Transfer-Encoding: base64\r\n\r\n";
  const tail = "--b--\r\n";
  const lineCount = Math.floor((bytes - head.length - tail.length) / 78);
  const encoded = randomBytes(lineCount * 57).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < lineCount; i += 1) lines.push(encoded.slice(i * 76, i * 76 + 76));
  return Buffer.from(`${head}${lines.join("\r\n")}\r\n${tail}`, "latin1");
}

describe("a large message", () => {
  it.skipIf(process.platform !== "linux")(
    "is stored without the server's resident memory growing by more than 3× its size",
    async () => {
      const require = createRequire(import.meta.url);
      const dataDir = await tempDir(cleanup);
      const child = spawn(
        process.execPath,
        [
          "--expose-gc",
          "--import",
          pathToFileURL(require.resolve("tsx")).href,
          "--input-type=module",
          "--eval",
          CHILD_SCRIPT,
        ],
        {
          stdio: ["ignore", "inherit", "inherit", "ipc"],
          env: {
            ...process.env,
            DATA_DIR: dataDir,
            SANDBOX_MODULE: new URL("../sandbox.ts", import.meta.url).href,
            CONFIG_MODULE: new URL("../config.ts", import.meta.url).href,
          },
        },
      );
      cleanup(() => {
        if (child.exitCode === null) child.kill("SIGKILL");
      });
      const ready = await nextMessage<{ smtpPort: number; baselineRss: number }>(child, "ready");

      const raw = largeMessage(MESSAGE_BYTES);
      expect(raw.length).toBeGreaterThan(MESSAGE_BYTES - 100);
      const client = await SmtpTestClient.open(ready.smtpPort);
      const reply = await client.sendMessage({ from: "big@example.test", to: ["inbox@mailnest.test"], raw });
      expect(reply.code, reply.raw).toBe(250);
      await client.quit();

      const report = nextMessage<{ peakRss: number; stored: number }>(child, "report");
      child.send("report");
      const { peakRss, stored } = await report;
      expect(stored).toBe(1);
      const growth = peakRss - ready.baselineRss;
      expect(
        growth,
        `RSS grew ${(growth / 1e6).toFixed(1)} MB (from ${(ready.baselineRss / 1e6).toFixed(1)} MB) for a ${(raw.length / 1e6).toFixed(1)} MB message`,
      ).toBeLessThan(GROWTH_BOUND);
    },
    60_000,
  );
});
