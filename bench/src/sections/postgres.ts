// The tests' throwaway PostgreSQL (initdb into a temp folder, a free port, the `postgres` user when
// root), reused rather than copied; started with fsync on here, so the figures are a durable server's.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { PostgresCluster } from "../../../server/src/test-support/postgres/postgres-cluster.js";
import type { ResultRow } from "../report/result-row.js";
import type { ServerUnderTest } from "../server/server-process.js";
import { textMessage } from "../smtp/message-factory.js";
import { SmtpConnection } from "../smtp/smtp-connection.js";
import { ID_IN_REPLY, runWorkload, type WorkloadResult } from "../smtp-load.js";
import { median, summarize } from "../stats.js";
import { referenceWorkloads } from "../workloads.js";
import {
  latencyNote,
  type SectionContext,
  type SectionResult,
  scaled,
  warmUp,
  withServer,
} from "./section.js";
import { timeLongPolls, timeSdkWaits, type WaitRun } from "./wait-latency.js";

const INGEST_WORKLOAD = "16 connections, 2 KB";
/** Issue 18's targets for a wait on one instance answered by mail another instance stored. */
const CROSS_P50_TARGET_MS = 20;
const CROSS_P99_TARGET_MS = 100;

/** Full runs pair the ceiling and Mailnest this often and report the median ratio. */
const ROUNDS_FULL = 3;

/**
 * Issue 18, part 2: Mailnest on PostgreSQL. Ingest at 16 connections (2 KB) on one instance, as a
 * share of the bare smtp-server ceiling, which runs the same workload right before each Mailnest
 * run (on a shared machine a ratio only means something between runs seconds apart); and the
 * cross-instance latency: a test waits on instance B (SDK `nextMessage()`, and a bare long-poll)
 * for mail sent to instance A, both on one database, timed from A's 250 to B's answer.
 */
export async function runPostgres(context: SectionContext): Promise<SectionResult> {
  const cluster = await PostgresCluster.create({ fsync: true });
  try {
    const onDatabase = { databaseUrl: cluster.url(), dataDir: null };
    const ceiling = await context.startCeiling();
    const ingest = await withServer(ceiling, async () =>
      withServer(await context.startMailnest(onDatabase), (server) =>
        measureIngest(context, server, ceiling),
      ),
    );
    const [a, b] = await Promise.all([context.startMailnest(onDatabase), context.startMailnest(onDatabase)]);
    const latency = await withServer(a, () => withServer(b, () => measureCrossInstance(context, a, b)));
    const webhook = await measureSharedWebhook(context, onDatabase);
    return {
      rows: [...ingest.rows, ...latency.rows, ...webhook.rows],
      details: { ...ingest.details, ...latency.details, ...webhook.details },
    };
  } finally {
    await cluster.destroy();
  }
}

async function measureIngest(
  context: SectionContext,
  server: ServerUnderTest,
  ceiling: ServerUnderTest,
): Promise<SectionResult> {
  const workload = referenceWorkloads(context.scale).find((candidate) => candidate.name === INGEST_WORKLOAD);
  if (!workload) throw new Error(`no reference workload named ${INGEST_WORKLOAD}`);
  const rounds = context.options.quick ? 1 : ROUNDS_FULL;
  await warmUp(context, ceiling);
  const pairs: Array<{ ceiling: number; mailnest: WorkloadResult }> = [];
  for (let round = 0; round < rounds; round += 1) {
    // The warm-up also empties the store, so each round starts from the same (empty) database.
    await warmUp(context, server);
    context.log(
      `postgres: ingest, ${workload.name} (${workload.messages} messages, round ${round + 1}/${rounds})`,
    );
    const bare = await runWorkload(ceiling.smtp, workload);
    const mailnest = await runWorkload(server.smtp, workload);
    pairs.push({ ceiling: bare.messagesPerSecond, mailnest });
  }
  const shares = pairs.map((pair) => pair.mailnest.messagesPerSecond / pair.ceiling);
  const share = median(shares);
  const middle = median(pairs.map((pair) => pair.mailnest.messagesPerSecond));
  const chosen = pairs.find((pair) => pair.mailnest.messagesPerSecond === middle) ?? pairs[0];
  if (!chosen) throw new Error("postgres: no ingest round finished");
  const { ids: _ids, ...result } = chosen.mailnest;
  const rates = pairs.map(
    (pair) => `${Math.round(pair.mailnest.messagesPerSecond)} / ${Math.round(pair.ceiling)}`,
  );
  const rows: ResultRow[] = [
    {
      section: "postgres",
      metric: `ingest on PostgreSQL, ${workload.name}`,
      value: result.messagesPerSecond,
      unit: "msg/s",
      note: `one instance, fsync on; ${latencyNote("DATA→250", result.dataToOk)}${result.accepted < result.requested ? `; ${result.accepted}/${result.requested} accepted` : ""}`,
      ceiling: median(pairs.map((pair) => pair.ceiling)),
    },
    {
      section: "postgres",
      metric: `ingest on PostgreSQL, ${workload.name}: share of the ceiling`,
      value: Math.round(share * 100) / 100,
      unit: "",
      note: `median of ${pairs.length} paired runs (Mailnest / ceiling msg/s: ${rates.join(", ")})`,
    },
  ];
  return {
    rows,
    details: {
      ingest: pairs.map((pair) => ({
        ceiling: pair.ceiling,
        mailnest: { ...pair.mailnest, ids: undefined },
      })),
    },
  };
}

async function measureCrossInstance(
  context: SectionContext,
  a: ServerUnderTest,
  b: ServerUnderTest,
): Promise<SectionResult> {
  const count = scaled(context, 300, 50);
  context.log(`postgres: cross-instance wait, ${count} messages to A, waited for on B`);
  const { connection } = await SmtpConnection.open(a.smtp.host, a.smtp.port);
  await connection.ehlo();
  let sdk: WaitRun;
  let longPoll: WaitRun;
  try {
    sdk = await timeSdkWaits(b.apiUrl ?? "", connection, count);
    longPoll = await timeLongPolls(b.apiUrl ?? "", connection, count);
  } finally {
    connection.quit();
  }
  const sdkSummary = summarize(sdk.samples);
  const longPollSummary = summarize(longPoll.samples);
  return {
    rows: [
      {
        section: "postgres",
        metric: "250 on A → SDK wait on B resolved, p50",
        value: sdkSummary.p50,
        unit: "ms",
        note: `${sdk.samples.length} messages, two instances on one database`,
        target: { op: "<", value: CROSS_P50_TARGET_MS },
      },
      {
        section: "postgres",
        metric: "250 on A → SDK wait on B resolved, p99",
        value: sdkSummary.p99,
        unit: "ms",
        target: { op: "<", value: CROSS_P99_TARGET_MS },
      },
      {
        section: "postgres",
        metric: "250 on A → bare long-poll on B answered, p50 / p99",
        value: longPollSummary.p50,
        unit: "ms",
        note: `p99 ${longPollSummary.p99.toFixed(2)} ms; ${longPoll.samples.length} messages`,
      },
    ],
    details: { crossInstance: { sdk: sdkSummary, longPoll: longPollSummary } },
  };
}

const WEBHOOK_MESSAGE = textMessage(2 * 1024);
/** One message's webhook that has not arrived after this long fails the section. */
const WEBHOOK_TIMEOUT_MS = 15_000;
const WEBHOOK_TIME_CAP_MS = 90_000;
/** How long the section waits for the burst's webhooks after its last 250. */
const WEBHOOK_DRAIN_CAP_MS = 120_000;

/**
 * The shared webhook queue (docs/scaling.md, "Webhooks"): two instances on one database, both given
 * the same `--webhook`; mail sent to A one message at a time, timed from A's 250 to the receiver's
 * POST. The path: A queues the delivery in `mailnest_journal`, and whichever instance holds the
 * delivery turn reads it (its own append, or A's NOTIFY) and posts it.
 */
async function measureSharedWebhook(
  context: SectionContext,
  onDatabase: { databaseUrl: string; dataDir: null },
): Promise<SectionResult> {
  const arrivals = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const at = performance.now();
      response.writeHead(204).end();
      try {
        const event = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          type?: string;
          data?: { message?: { id?: string } };
        };
        const id = event.type === "message.received" ? event.data?.message?.id : undefined;
        if (id === undefined || arrivals.has(id)) return;
        arrivals.set(id, at);
        waiters.get(id)?.();
      } catch {
        // Not an event: nothing to time.
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  try {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const config = { ...onDatabase, webhooks: [url] };
    const [a, b] = await Promise.all([context.startMailnest(config), context.startMailnest(config)]);
    const count = scaled(context, 200, 30);
    context.log(`postgres: shared webhook queue, ${count} messages to A, 250 → POST received`);
    const workload = referenceWorkloads(context.scale).find(
      (candidate) => candidate.name === INGEST_WORKLOAD,
    );
    if (!workload) throw new Error(`no reference workload named ${INGEST_WORKLOAD}`);
    const { samples, burst } = await withServer(a, () =>
      withServer(b, async () => {
        const { connection } = await SmtpConnection.open(a.smtp.host, a.smtp.port);
        await connection.ehlo();
        const times: number[] = [];
        const deadline = performance.now() + WEBHOOK_TIME_CAP_MS;
        try {
          for (let i = 0; i < count && performance.now() < deadline; i += 1) {
            const to = "hooked@bench.localhost";
            const sent = await connection.sendMessage(
              "sender@bench.localhost",
              [to],
              WEBHOOK_MESSAGE.render(i, to),
            );
            const okAt = performance.now();
            const id = ID_IN_REPLY.exec(sent.reply.lines.join(" "))?.[1];
            if (id === undefined) throw new Error(`postgres: no message id in ${sent.reply.lines.join(" ")}`);
            await arrival(id, arrivals, waiters);
            times.push(Math.max(0, (arrivals.get(id) ?? okAt) - okAt));
          }
        } finally {
          connection.quit();
        }
        // Then the ingest workload on A with the webhook on: its rate, and how long after its last
        // 250 the last of its webhooks arrived.
        context.log(`postgres: ingest with a --webhook, ${workload.name} (${workload.messages} messages)`);
        const result = await runWorkload(a.smtp, { ...workload, collectIds: true });
        const endedAt = performance.now();
        const drainDeadline = endedAt + WEBHOOK_DRAIN_CAP_MS;
        while (result.ids.some((id) => !arrivals.has(id)) && performance.now() < drainDeadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const missing = result.ids.filter((id) => !arrivals.has(id)).length;
        const lastArrival = Math.max(endedAt, ...result.ids.map((id) => arrivals.get(id) ?? endedAt));
        return { samples: times, burst: { result, missing, drainMs: lastArrival - endedAt } };
      }),
    );
    const summary = summarize(samples);
    const { result: ingest, missing, drainMs } = burst;
    return {
      rows: [
        {
          section: "postgres",
          metric: "250 on A → webhook POST received (shared queue), p50 / p99",
          value: summary.p50,
          unit: "ms",
          note: `p99 ${summary.p99.toFixed(2)} ms; ${samples.length} messages, two instances with the same --webhook, one delivering`,
        },
        {
          section: "postgres",
          metric: `ingest on PostgreSQL with a --webhook, ${workload.name}`,
          value: ingest.messagesPerSecond,
          unit: "msg/s",
          note: `one run on A (B delivering or not); ${latencyNote("DATA→250", ingest.dataToOk)}; ${missing === 0 ? `last of ${ingest.ids.length} webhooks ${(drainMs / 1000).toFixed(1)} s after the last 250` : `${missing} of ${ingest.ids.length} webhooks not received ${WEBHOOK_DRAIN_CAP_MS / 1000} s after the last 250`}`,
        },
      ],
      details: {
        sharedWebhook: summary,
        ingestWithWebhook: { ...ingest, ids: undefined, missing, drainMs },
      },
    };
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
}

function arrival(id: string, arrivals: Map<string, number>, waiters: Map<string, () => void>): Promise<void> {
  if (arrivals.has(id)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(id);
      reject(
        new Error(`postgres: the webhook for message ${id} did not arrive within ${WEBHOOK_TIMEOUT_MS} ms`),
      );
    }, WEBHOOK_TIMEOUT_MS);
    waiters.set(id, () => {
      clearTimeout(timer);
      waiters.delete(id);
      resolve();
    });
  });
}
