// The tests' throwaway PostgreSQL (initdb into a temp folder, a free port, the `postgres` user when
// root), reused rather than copied; started with fsync on here, so the figures are a durable server's.
import { PostgresCluster } from "../../../server/src/test-support/postgres/postgres-cluster.js";
import type { ResultRow } from "../report/result-row.js";
import type { ServerUnderTest } from "../server/server-process.js";
import { SmtpConnection } from "../smtp/smtp-connection.js";
import { runWorkload } from "../smtp-load.js";
import { summarize } from "../stats.js";
import { referenceWorkloads } from "../workloads.js";
import type { Ceiling } from "./ingest.js";
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

/**
 * Issue 18, part 2: Mailnest on PostgreSQL. Ingest at 16 connections (2 KB) on one instance, as a
 * share of the smtp-server ceiling measured in the same run; and the cross-instance latency: a test
 * waits on instance B (SDK `nextMessage()`, and a bare long-poll) for mail sent to instance A, both
 * on one database, timed from A's 250 to B's answer.
 */
export async function runPostgres(context: SectionContext, ceiling: Ceiling | null): Promise<SectionResult> {
  const cluster = await PostgresCluster.create({ fsync: true });
  try {
    const onDatabase = { databaseUrl: cluster.url(), dataDir: null };
    const ingest = await withServer(await context.startMailnest(onDatabase), (server) =>
      measureIngest(context, server, ceiling),
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
  ceiling: Ceiling | null,
): Promise<SectionResult> {
  const workload = referenceWorkloads(context.scale).find((candidate) => candidate.name === INGEST_WORKLOAD);
  if (!workload) throw new Error(`no reference workload named ${INGEST_WORKLOAD}`);
  await warmUp(context, server);
  context.log(`postgres: ingest, ${workload.name} (${workload.messages} messages)`);
  const { ids: _ids, ...result } = await runWorkload(server.smtp, workload);
  const ceilingRate = ceiling?.rates.get(workload.name);
  const rows: ResultRow[] = [
    {
      section: "postgres",
      metric: `ingest on PostgreSQL, ${workload.name}`,
      value: result.messagesPerSecond,
      unit: "msg/s",
      note: `one instance, fsync on; ${latencyNote("DATA→250", result.dataToOk)}${result.accepted < result.requested ? `; ${result.accepted}/${result.requested} accepted` : ""}`,
      ...(ceilingRate === undefined ? {} : { ceiling: ceilingRate }),
    },
    {
      section: "postgres",
      metric: `ingest on PostgreSQL, ${workload.name}: share of the ceiling`,
      value: ceilingRate ? Math.round((result.messagesPerSecond / ceilingRate) * 100) / 100 : null,
      unit: "",
      note:
        ceilingRate === undefined
          ? "no ceiling measured in this run (--only without ceiling)"
          : `${result.messagesPerSecond} / ${ceilingRate} msg/s, same run`,
    },
  ];
  return { rows, details: { ingest: result } };
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
