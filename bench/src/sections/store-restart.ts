import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { getJson } from "../http/api-probe.js";
import type { ResultRow } from "../report/result-row.js";
import { megabytes } from "../server/memory-probe.js";
import { type ServerUnderTest, startMailnest } from "../server/server-process.js";
import { runWorkload } from "../smtp-load.js";
import { storeLoad } from "../workloads.js";
import type { SectionContext, SectionResult } from "./section.js";

/** The fill must end in this time, whatever the server's speed. */
const FILL_TIME_CAP_MS = 300_000;
/** How long the burst runs before the kill: long enough for several segment rotations (64 MiB each). */
const BURST_BEFORE_KILL_MS = 10_000;
const BURST_TIME_CAP_MS = 60_000;

interface Restart {
  /** Fork of the server process until it answers "ready" (store opened, log replayed, listening). */
  readyMs: number;
  /** Messages the restarted server reports. */
  stored: number;
}

interface Crash {
  /** Messages answered 250 before the kill. */
  acknowledged: number;
  /** Segment bytes on disk right after the kill that the locator file does not cover: what the restart scans. */
  scanBytes: number;
  restart: Restart;
  /** Stored before the burst + acknowledged in it − stored after the restart, if positive. */
  lost: number;
}

interface RestartResults {
  filled: number;
  clean: Restart;
  memory: { rss: number; heapUsed: number };
  midBurst: Crash;
  endOfBurst: Crash;
}

/**
 * Restart until ready with a full store: one data directory filled to 50,000 messages, then a clean
 * restart (and the restarted server's resident memory after GC), a `kill -9` 10 s into a sustained
 * 16-connection burst, and a `kill -9` right after a burst ends (when the most is written since the
 * last locator file). After each kill the restarted server must hold every acknowledged message.
 */
export async function runStoreRestart(context: SectionContext): Promise<SectionResult> {
  const target = context.options.quick ? 5_000 : 50_000;
  const burst = context.options.quick ? 2_000 : 20_000;
  const dataDir = await mkdtemp(path.join(tmpdir(), "mailnest-bench-restart-"));
  const start = () => startMailnest({ config: { dataDir }, keepData: true });
  try {
    let nextIndex = 0;
    let server = await start();
    context.log(`restart: filling the store to ${target} (16 connections)`);
    const fill = await runWorkload(server.smtp, storeLoad("fill", target, nextIndex, FILL_TIME_CAP_MS));
    nextIndex += fill.requested;
    await server.close();

    context.log("restart: clean restart");
    const cleanStarted = performance.now();
    server = await start();
    const clean = await restarted(server, cleanStarted);
    const memory = await server.collectGarbage();

    context.log(`restart: kill -9 ${BURST_BEFORE_KILL_MS / 1000} s into a sustained burst`);
    const midBurst = await crashDuring(server, clean.stored, async (live) => {
      const killer = setTimeout(() => kill(live), BURST_BEFORE_KILL_MS);
      try {
        const load = storeLoad("burst", burst * 10, nextIndex, BURST_TIME_CAP_MS);
        const result = await runWorkload(live.smtp, load);
        nextIndex += result.requested;
        return result.accepted;
      } finally {
        clearTimeout(killer);
      }
    });
    server = midBurst.server;

    context.log(`restart: kill -9 right after a burst of ${burst}`);
    const endOfBurst = await crashDuring(server, midBurst.crash.restart.stored, async (live) => {
      const result = await runWorkload(live.smtp, storeLoad("burst", burst, nextIndex, BURST_TIME_CAP_MS));
      nextIndex += result.requested;
      kill(live);
      return result.accepted;
    });
    await endOfBurst.server.close();

    const results: RestartResults = {
      filled: fill.accepted,
      clean,
      memory: { rss: memory.rss, heapUsed: memory.heapUsed },
      midBurst: midBurst.crash,
      endOfBurst: endOfBurst.crash,
    };
    return { rows: rowsFor(context, results), details: { ...results } };

    async function crashDuring(
      live: ServerUnderTest,
      storedBefore: number,
      load: (live: ServerUnderTest) => Promise<number>,
    ): Promise<{ crash: Crash; server: ServerUnderTest }> {
      const acknowledged = await load(live);
      await reaped(live.pid);
      await live.close(); // already dead: this only cleans up
      const scanBytes = await bytesToScan(path.join(dataDir, "segments"));
      const started = performance.now();
      const next = await start();
      const restart = await restarted(next, started);
      const lost = Math.max(0, storedBefore + acknowledged - restart.stored);
      return { crash: { acknowledged, scanBytes, restart, lost }, server: next };
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function restarted(server: ServerUnderTest, started: number): Promise<Restart> {
  const readyMs = performance.now() - started;
  const health = await getJson<{ messages?: number }>(server.apiUrl ?? "", "/api/health");
  return { readyMs, stored: health.messages ?? 0 };
}

function kill(server: ServerUnderTest): void {
  try {
    process.kill(server.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Until the killed child is reaped (a zombie still answers signal 0). */
async function reaped(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * What the next start reads (docs/storage.md, "Segment scan"): every `<n>.seg` that the locator
 * file does not name, or every one when the file is missing or unreadable. (A named segment whose
 * length changed would also mean a full scan; only damage does that, not a kill.)
 */
async function bytesToScan(directory: string): Promise<number> {
  const named = await namedSegments(directory);
  let total = 0;
  for (const name of await readdir(directory).catch(() => [])) {
    const match = /^(\d{12})\.seg$/.exec(name);
    if (match === null || named.has(Number(match[1]))) continue;
    total += (await stat(path.join(directory, name)).catch(() => null))?.size ?? 0;
  }
  return total;
}

/**
 * The segments `locators.bin` names: its header (server/src/store/segment-snapshot.ts: "MNLC",
 * version, the JSON part's length at byte 8) and the JSON part from byte 20, which lists them. Only
 * the names are read; the server checks the rest. Empty when there is no such file.
 */
async function namedSegments(directory: string): Promise<Set<number>> {
  try {
    const file = await readFile(path.join(directory, "locators.bin"));
    if (file.toString("latin1", 0, 4) !== "MNLC") return new Set();
    const json = JSON.parse(file.toString("utf8", 20, 20 + file.readUInt32LE(8))) as {
      segments?: { number?: unknown }[];
    };
    return new Set((json.segments ?? []).map((segment) => Number(segment.number)));
  } catch {
    return new Set();
  }
}

function rowsFor(context: SectionContext, results: RestartResults): ResultRow[] {
  const checked = !context.options.quick;
  const at = `${results.clean.stored.toLocaleString("en-US")} stored`;
  const crashNote = (crash: Crash) =>
    `${crash.acknowledged.toLocaleString("en-US")} acknowledged before the kill, ${megabytes(crash.scanBytes)} MB of segments to scan (not in the locator file); ${
      crash.lost === 0 ? "none lost" : `${crash.lost} LOST`
    }`;
  return [
    {
      section: "restart",
      metric: `restart until ready, clean, ${at}`,
      value: Math.round(results.clean.readyMs),
      unit: "ms",
      note: "fork of the server process until it is listening",
      ...(checked ? { target: { op: "<=" as const, value: 1_000 } } : {}),
    },
    {
      section: "restart",
      metric: `restart until ready after kill -9 ${BURST_BEFORE_KILL_MS / 1000} s into a 16-connection burst, ${results.midBurst.restart.stored.toLocaleString("en-US")} stored`,
      value: Math.round(results.midBurst.restart.readyMs),
      unit: "ms",
      note: crashNote(results.midBurst),
      ...(checked ? { target: { op: "<=" as const, value: 2_000 } } : {}),
    },
    {
      section: "restart",
      metric: `restart until ready after kill -9 at the end of a burst, ${results.endOfBurst.restart.stored.toLocaleString("en-US")} stored`,
      value: Math.round(results.endOfBurst.restart.readyMs),
      unit: "ms",
      note: crashNote(results.endOfBurst),
      ...(checked ? { target: { op: "<=" as const, value: 2_000 } } : {}),
    },
    {
      section: "restart",
      metric: `resident memory after a clean restart (after GC and heap compaction), ${at}`,
      value: megabytes(results.memory.rss),
      unit: "MB",
      note: `JS heap ${megabytes(results.memory.heapUsed)} MB; nothing received since the restart`,
      ...(checked ? { target: { op: "<=" as const, value: 150 } } : {}),
    },
  ];
}
