/**
 * Store micro-benchmark (not run by tests): sequential ingest rate with an empty store and after
 * prefilling it, plus list/get latency and resident memory. Run from server/:
 *
 *   npx tsx bench/store-ingest.ts [prefill=10000] [measured=2000]
 *
 * The full end-to-end benchmark (SMTP, API) lives in the bench/ package.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { EventBus } from "../src/events/bus.js";
import { messageParser } from "../src/smtp/parse-message.js";
import { createMessageStore } from "../src/store/create-message-store.js";
import type { MessageStore } from "../src/store/message-store.js";
import type { IncomingEnvelope } from "../src/store/model.js";

const prefill = Number(process.argv[2] ?? 10_000);
const measured = Number(process.argv[3] ?? 2_000);

function message(index: number): Buffer {
  const body = `Hello ${index}. `.repeat(120).slice(0, 1800);
  return Buffer.from(
    [
      "From: Bench <bench@app.test>",
      `To: user${index % 100}@mailnest.test`,
      `Subject: Message ${index}`,
      "Date: Tue, 01 Jul 2025 10:00:00 +0000",
      `Message-ID: <${index}@bench.test>`,
      "Content-Type: text/plain; charset=utf-8",
      "",
      body,
      "",
    ].join("\r\n"),
  );
}

function envelope(index: number): IncomingEnvelope {
  return {
    mailFrom: "bench@app.test",
    rcptTo: [`user${index % 100}@mailnest.test`],
    remoteAddress: "127.0.0.1",
    heloName: "bench",
    authUser: null,
    tls: null,
  };
}

async function ingestMany(store: MessageStore, from: number, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = from; i < from + count; i++) {
    const started = performance.now();
    await store.ingest(Readable.from([message(i)]), envelope(i), { maxSize: 25 * 1024 * 1024 });
    latencies.push(performance.now() - started);
  }
  return latencies;
}

function report(label: string, latencies: number[]): void {
  const sorted = [...latencies].sort((a, b) => a - b);
  const total = latencies.reduce((sum, value) => sum + value, 0);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3);
  console.log(
    `${label}: ${(latencies.length / (total / 1000)).toFixed(0)} msg/s, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
  );
}

async function timeIt(label: string, runs: number, task: () => Promise<unknown>): Promise<void> {
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await task();
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  console.log(
    `${label}: p50 ${latencies[Math.floor(runs / 2)]!.toFixed(3)} ms, max ${latencies.at(-1)!.toFixed(3)} ms`,
  );
}

const dataDir = await mkdtemp(join(tmpdir(), "mailnest-store-bench-"));
try {
  const store = await createMessageStore(
    { dataDir, maxMessages: prefill + measured * 2, maxAgeMs: null },
    { parser: messageParser, bus: new EventBus() },
  );
  report("empty store", await ingestMany(store, 0, measured));
  const started = performance.now();
  await ingestMany(store, measured, prefill);
  console.log(`prefilled ${prefill} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  report(`with ${store.messageCount} stored`, await ingestMany(store, measured + prefill, measured));

  const newest = (await store.list({ limit: 1 })).messages[0]!;
  await timeIt("list 50 (all)", 50, () => store.list({ limit: 50 }));
  await timeIt("list 50 (one inbox)", 50, () => store.list({ limit: 50, inbox: "user7@mailnest.test" }));
  await timeIt("list 50 (subject filter, rare)", 20, () => store.list({ limit: 50, subject: "Message 12" }));
  await timeIt("get one", 200, () => store.get(newest.id));
  globalThis.gc?.();
  console.log(
    `rss ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB, heap ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(0)} MB`,
  );

  await store.close();
  const reopenStarted = performance.now();
  const reopened = await createMessageStore(
    { dataDir, maxMessages: prefill + measured * 2, maxAgeMs: null },
    { parser: messageParser, bus: new EventBus() },
  );
  console.log(`reopen with ${reopened.messageCount}: ${(performance.now() - reopenStarted).toFixed(0)} ms`);
  await reopened.close();
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
