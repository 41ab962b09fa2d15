import { fork } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { ServerUnderTest } from "../server/server-process.js";
import { textMessage } from "../smtp/message-factory.js";
import { runWorkload, type Workload, type WorkloadResult } from "../smtp-load.js";
import { median } from "../stats.js";
import { benchRecipient } from "../workloads.js";
import { latencyNote, type SectionContext, type SectionResult, warmUp, withServer } from "./section.js";

/** Issue 15: ingest with a slow webhook receiver must keep at least this share of the rate without. */
const TARGET_PERCENT = 90;
const REPEATS_FULL = 3;
/** How long the receiver takes to answer each delivery: slower than ingest by far. */
const RECEIVER_DELAY_MS = 20;
/** Deliveries still missing this long after the burst count as lost. */
const DRAIN_TIMEOUT_MS = 120_000;
/** The warm-up's deliveries (answered at once) must be done by then, or the section fails. */
const WARM_UP_DRAIN_TIMEOUT_MS = 30_000;

type Measured = Omit<WorkloadResult, "ids"> & {
  /** The server process's CPU time (user + system) over the burst, per accepted message. */
  serverCpuMsPerMessage: number;
};

/**
 * 1,000 messages in a burst over 16 connections, against Mailnest without a webhook and with one
 * whose receiver answers every delivery after 20 ms (strictly in order, one at a time: the burst
 * is stored long before it is delivered). Each server warms up with an endpoint that answers at
 * once, deleted once its deliveries are done, in every mode. The rows: the rate with the webhook as a share of the rate
 * without, and how many of the burst's messages never reached the receiver.
 */
export async function runWebhooks(context: SectionContext): Promise<SectionResult> {
  const receiver = await startSlowReceiver(RECEIVER_DELAY_MS);
  try {
    const workload: Workload = {
      name: "16 connections, 2 KB, burst",
      connections: 16,
      messages: Math.max(10, Math.round(1_000 * context.scale)),
      reuseConnection: true,
      message: textMessage(2 * 1024),
      timeCapMs: 45_000,
      recipient: benchRecipient,
      collectIds: true,
    };
    const runs = { off: [] as Measured[], queued: [] as Measured[], on: [] as Measured[] };
    let lost = 0;
    let drainMs = 0;
    const repeats = context.options.quick ? 1 : REPEATS_FULL;
    for (let attempt = 0; attempt < repeats; attempt += 1) {
      for (const mode of ["off", "queued", "on"] as const) {
        await withServer(await context.startMailnest(), async (server) => {
          // Every mode warms up with an endpoint that answers at once, and waits until the warm-up
          // is delivered before deleting it: the webhook's queueing and delivery code is then as warm
          // as the rest of ingest, so a 1,000-message burst measures what an endpoint costs and not V8
          // compiling that code for the first time (a warm-up without an endpoint made about half of
          // the difference, one with a paused endpoint left the delivery cold; docs/performance.md).
          const warmUpEndpoint = await addEndpoint(server, receiver.warmUpUrl, false);
          await warmUp(context, server);
          await drained(server, warmUpEndpoint, WARM_UP_DRAIN_TIMEOUT_MS);
          await deleteEndpoint(server, warmUpEndpoint);
          if (mode !== "off") await addEndpoint(server, receiver.url, mode === "queued");
          context.log(`webhooks: ${mode} (${workload.messages} messages, run ${attempt + 1}/${repeats})`);
          const cpuBefore = await cpuMs(server.pid);
          const { ids, ...result } = await runWorkload(server.smtp, workload);
          const cpu = (await cpuMs(server.pid)) - cpuBefore;
          runs[mode].push({ ...result, serverCpuMsPerMessage: cpu / Math.max(1, result.accepted) });
          if (mode === "on") {
            const started = Date.now();
            const missing = await receiver.waitFor(ids, DRAIN_TIMEOUT_MS);
            drainMs = Math.max(drainMs, Date.now() - started);
            lost += missing;
          }
        });
        receiver.reset();
      }
    }
    const off = medianRun(runs.off);
    const queued = medianRun(runs.queued);
    const on = medianRun(runs.on);
    const share =
      off.messagesPerSecond > 0 ? (on.messagesPerSecond / off.messagesPerSecond) * 100 : Number.NaN;
    return {
      rows: [
        {
          section: "webhooks",
          metric: `${workload.name}, no webhook`,
          value: off.messagesPerSecond,
          unit: "msg/s",
          note: `${latencyNote("DATA→250", off.dataToOk)}${spread(runs.off)}`,
        },
        {
          section: "webhooks",
          metric: `${workload.name}, webhook paused (queueing only)`,
          value: queued.messagesPerSecond,
          unit: "msg/s",
          note: `${latencyNote("DATA→250", queued.dataToOk)}${spread(runs.queued)}`,
        },
        {
          section: "webhooks",
          metric: `${workload.name}, webhook answering in ${RECEIVER_DELAY_MS} ms`,
          value: on.messagesPerSecond,
          unit: "msg/s",
          note: `${latencyNote("DATA→250", on.dataToOk)}${spread(runs.on)}; all delivered within ${(drainMs / 1000).toFixed(0)} s of the burst's end`,
        },
        {
          section: "webhooks",
          metric: "with webhook / without",
          value: Math.round(share * 10) / 10,
          unit: "%",
          note: "median runs",
          target: { op: ">=", value: TARGET_PERCENT },
        },
        {
          section: "webhooks",
          metric: "deliveries lost",
          value: lost,
          unit: "",
          note: `messages of the bursts (${repeats} × ${workload.messages}) that never reached the receiver`,
          target: { op: "<", value: 1 },
        },
      ],
      details: { webhooks: runs, lost, drainMs },
    };
  } finally {
    await receiver.close();
  }
}

/**
 * An endpoint for `message.received` only; the measured one is added after the warm-up, so only
 * the burst is delivered. A paused one queues every delivery and sends none: the cost of queueing
 * alone. Resolves with the endpoint's id.
 */
async function addEndpoint(server: ServerUnderTest, url: string, paused: boolean): Promise<string> {
  const response = await fetch(`${server.apiUrl}/api/webhooks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url, events: ["message.received"], paused }),
  });
  if (response.status !== 201) throw new Error(`POST /api/webhooks answered ${response.status}`);
  return ((await response.json()) as { id: string }).id;
}

/** Until the endpoint has no delivery pending; throws after `timeoutMs`. */
async function drained(server: ServerUnderTest, id: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${server.apiUrl}/api/webhooks`);
    if (!response.ok) throw new Error(`GET /api/webhooks answered ${response.status}`);
    const { endpoints } = (await response.json()) as { endpoints: { id: string; pending: number }[] };
    const pending = endpoints.find((endpoint) => endpoint.id === id)?.pending;
    if (pending === undefined) throw new Error(`webhooks: the warm-up endpoint ${id} is not listed`);
    if (pending === 0) return;
    if (Date.now() > deadline)
      throw new Error(`webhooks: ${pending} warm-up deliveries still pending after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Deletes an endpoint and every delivery queued for it. */
async function deleteEndpoint(server: ServerUnderTest, id: string): Promise<void> {
  const response = await fetch(`${server.apiUrl}/api/webhooks/${encodeURIComponent(id)}`, {
    method: "DELETE",
  });
  if (!response.ok) throw new Error(`DELETE /api/webhooks/${id} answered ${response.status}`);
}

interface SlowReceiver {
  url: string;
  /** Answered at once, and not counted as seen. */
  warmUpUrl: string;
  /** Resolves with how many of `ids` had not arrived when `timeoutMs` ran out (0: all arrived). */
  waitFor(ids: readonly string[], timeoutMs: number): Promise<number>;
  reset(): void;
  close(): Promise<void>;
}

/** The receiver runs in a child process of its own: its work must not slow the load generator. */
async function startSlowReceiver(delayMs: number): Promise<SlowReceiver> {
  const seen = new Set<string>();
  const child = fork(fileURLToPath(new URL("../server/webhook-receiver-child.mjs", import.meta.url)), [
    String(delayMs),
  ]);
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the webhook receiver exited (${code}) before listening`)));
    child.on("message", (message: { type?: string; id?: string; port?: number }) => {
      if (message.type === "ready" && typeof message.port === "number") resolve(message.port);
      if (message.type === "seen" && typeof message.id === "string") seen.add(message.id);
    });
  });
  return {
    url: `http://127.0.0.1:${port}/bench-hook`,
    warmUpUrl: `http://127.0.0.1:${port}/warm-up`,
    async waitFor(ids, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const missing = () => ids.filter((id) => !seen.has(id)).length;
      while (missing() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      return missing();
    },
    reset: () => seen.clear(),
    close: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.send({ type: "close" });
      }),
  };
}

function medianRun(runs: readonly Measured[]): Measured {
  const middle = median(runs.map((run) => run.messagesPerSecond));
  const chosen = runs.find((run) => run.messagesPerSecond === middle) ?? runs[0];
  if (!chosen) throw new Error("webhooks: no run finished");
  return chosen;
}

function spread(runs: readonly Measured[]): string {
  const cpu = `; server CPU ${median(runs.map((run) => run.serverCpuMsPerMessage)).toFixed(2)} ms/msg`;
  return runs.length < 2
    ? cpu
    : `${cpu}; runs ${runs.map((run) => Math.round(run.messagesPerSecond)).join(" / ")} msg/s`;
}

/**
 * A process's CPU time so far (user + system), from /proc (Linux). It moves with the work done, not
 * with what else the shared cores run, so it shows a webhook's cost even when the rates are noisy.
 */
async function cpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the command), in clock ticks
    // of USER_HZ, which is 100 on Linux.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}
