import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { readMetric } from "../http/api-probe.js";
import { IdleWaiters } from "../http/idle-waiters.js";
import { readCpuMs } from "../server/memory-probe.js";
import { runWorkload } from "../smtp-load.js";
import { median } from "../stats.js";
import { storeLoad } from "../workloads.js";
import { type SectionContext, type SectionResult, scaled, withServer } from "./section.js";

/** Longer than any measuring load, shorter than the suite's server cap (60 s), so waits rarely re-issue. */
const WAIT_TIMEOUT_MS = 55_000;
const SETTLE_TIMEOUT_MS = 15_000;
const LOAD_TIME_CAP_MS = 30_000;

interface Round {
  waiters: boolean;
  messagesPerSecond: number;
  /** Server CPU time per accepted message: steadier than throughput on a shared machine. */
  serverCpuMsPerMessage: number;
}

/**
 * Ingest (16 connections, 2 KB) with and without 1,000 long-polls parked on other inboxes, in short
 * rounds in ABBA order. The target is judged on the server's CPU time per message: ingest here is
 * CPU-bound, so that is what the rate follows, and unlike the rate it does not swing by ±20 % when
 * another process on the two cores wakes up. The median rates are shown beside it.
 */
export async function runIdleWaiters(context: SectionContext): Promise<SectionResult> {
  const waiterCount = scaled(context, 1_000, 100);
  const messages = scaled(context, 2_000, 300);
  const order = context.options.quick ? [false, true] : [false, true, true, false, false, true, true, false];
  const rounds: Round[] = [];
  const problems: string[] = [];
  let parked: number | null = null;
  let nextIndex = 0;

  await withServer(await context.startMailnest(), async (server) => {
    const apiUrl = server.apiUrl ?? "";
    const load = async (waiters: boolean) => {
      const cpuBefore = readCpuMs(server.pid);
      const result = await runWorkload(server.smtp, storeLoad("load", messages, nextIndex, LOAD_TIME_CAP_MS));
      const cpu = readCpuMs(server.pid) - cpuBefore;
      nextIndex += result.requested;
      if (result.failed > 0) problems.push(`${result.failed} messages failed: ${result.errors.join("; ")}`);
      rounds.push({
        waiters,
        messagesPerSecond: result.messagesPerSecond,
        serverCpuMsPerMessage: Math.round((cpu / Math.max(1, result.accepted)) * 1000) / 1000,
      });
    };
    const loadWithWaiters = async () => {
      const waiters = new IdleWaiters(apiUrl, waiterCount, WAIT_TIMEOUT_MS);
      try {
        parked = await settle(apiUrl, (value) => value >= waiterCount);
        await load(true);
        if (waiters.unexpectedAnswers > 0 || waiters.failures > 0) {
          problems.push(`waiters: ${waiters.unexpectedAnswers} answered early, ${waiters.failures} failed`);
        }
      } finally {
        waiters.stop();
        await settle(apiUrl, (value) => value === 0);
      }
    };
    context.log(
      `waiters: warm-up, then ${order.length} rounds of ${messages} messages, ABBA with ${waiterCount} idle waiters`,
    );
    const warmUp = scaled(context, 3_000, 300);
    await runWorkload(server.smtp, storeLoad("warm-up", warmUp, nextIndex, LOAD_TIME_CAP_MS));
    nextIndex += warmUp;
    for (const withWaiters of order) {
      if (withWaiters) await loadWithWaiters();
      else await load(false);
    }
  });

  const side = (waiters: boolean) => rounds.filter((round) => round.waiters === waiters);
  const rate = (waiters: boolean) => median(side(waiters).map((round) => round.messagesPerSecond));
  const cpu = (waiters: boolean) => median(side(waiters).map((round) => round.serverCpuMsPerMessage));
  const cost = (1 - rate(true) / rate(false)) * 100;
  const cpuCost = (cpu(true) / cpu(false) - 1) * 100;
  const spread = (waiters: boolean) => {
    const rates = side(waiters).map((round) => round.messagesPerSecond);
    return `${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))}`;
  };
  return {
    rows: [
      {
        section: "waiters",
        metric: `ingest cost of ${waiterCount.toLocaleString("en-US")} idle waiters (server CPU per message)`,
        value: Math.round(cpuCost * 10) / 10,
        unit: "%",
        note: `${cpu(false).toFixed(3)} → ${cpu(true).toFixed(3)} ms CPU per message; server held ${parked ?? "?"} waiters${problems.length ? `; ${problems.join("; ")}` : ""}`,
        target: { op: "<", value: 5 },
      },
      {
        section: "waiters",
        metric: "ingest rate with vs without waiters (median of rounds)",
        value: Math.round(-cost * 10) / 10,
        unit: "%",
        note: `${Math.round(rate(false))} msg/s (${spread(false)}) → ${Math.round(rate(true))} msg/s (${spread(true)}); noisy on a shared machine`,
      },
    ],
    details: { waiterCount, messages, rounds, parkedAccordingToServer: parked, problems },
  };
}

/**
 * Polls `mailnest_waiters_active` until `done` holds (the waits are parked, or released). Returns the
 * last value, or null when the server does not expose the gauge (then it just waits a moment).
 */
async function settle(apiUrl: string, done: (value: number) => boolean): Promise<number | null> {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  let value = await readMetric(apiUrl, "mailnest_waiters_active");
  if (value === null) {
    await sleep(2_000);
    return null;
  }
  while (!done(value) && performance.now() < deadline) {
    await sleep(100);
    value = (await readMetric(apiUrl, "mailnest_waiters_active")) ?? value;
  }
  return value;
}
