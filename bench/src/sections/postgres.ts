// The tests' throwaway PostgreSQL (initdb into a temp folder, a free port, the `postgres` user when
// root), reused rather than copied; started with fsync on here, so the figures are a durable server's.
import { PostgresCluster } from "../../../server/src/test-support/postgres/postgres-cluster.js";
import type { ResultRow } from "../report/result-row.js";
import type { ServerUnderTest } from "../server/server-process.js";
import { SmtpConnection } from "../smtp/smtp-connection.js";
import { runWorkload, type WorkloadResult } from "../smtp-load.js";
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
    return { rows: [...ingest.rows, ...latency.rows], details: { ...ingest.details, ...latency.details } };
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
