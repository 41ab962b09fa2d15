import { formatFigure, type ResultRow } from "../report/result-row.js";
import {
  installMailDev,
  MAILDEV_VERSION,
  type MailDevUnderTest,
  PeerUnavailableError,
  startMailDev,
} from "../server/maildev-process.js";
import { readCpuMs } from "../server/memory-probe.js";
import type { ServerUnderTest } from "../server/server-process.js";
import { runWorkload, type WorkloadResult } from "../smtp-load.js";
import { median } from "../stats.js";
import { type ReferenceWorkload, referenceWorkloads, storeLoad } from "../workloads.js";
import { latencyNote, type SectionContext, type SectionResult, warmUp, withServer } from "./section.js";

/** Full runs repeat each workload and report the median: the cores are shared with the client. */
const REPEATS_FULL = 3;

type Measured = Omit<WorkloadResult, "ids"> & {
  /** The server process's CPU time (every thread, user + system) per accepted message. */
  serverCpuMsPerMessage: number;
};

/** Issue 18's bound on the server's CPU per message at 16 connections. */
const CPU_PER_MESSAGE_TARGET_MS = 0.5;
const CPU_WORKLOAD = "16 connections, 2 KB";

interface Repeated {
  workload: ReferenceWorkload;
  runs: Measured[];
  /** The run with the median rate (its latencies are the ones shown). */
  median: Measured;
  /** With a paired ceiling: its run right before each of `runs`, in the same order. */
  ceilingRuns: Measured[];
  /** With MailDev beside: its run (a fresh MailDev) right before each of `runs`, in the same order. */
  peerRuns: Measured[];
}

/** A peer measured right before each Mailnest run: a fresh instance per run, like Mailnest's. */
interface Peer {
  /** Null once the peer failed to start (`missing` says why): Mailnest's runs go on without it. */
  measure(workload: ReferenceWorkload): Promise<Measured | null>;
  /** Why the peer was not measured, or "" while it is. */
  readonly missing: string;
}

/**
 * MailDev's runs with a new connection per message stop after this long. It greets each new
 * connection after smtp-server's default 100 ms delay, so 1,000 of them would take it 100 s; a few
 * seconds give its rate as well. Its reused-connection runs keep the workload's own cap (and finish
 * well within it), so those rows compare the same number of messages.
 */
const MAILDEV_NEW_CONNECTION_CAP_MS = 8_000;

function mailDevTimeCapMs(workload: ReferenceWorkload): number {
  return workload.reuseConnection ? workload.timeCapMs : MAILDEV_NEW_CONNECTION_CAP_MS;
}

async function measure(server: ServerUnderTest, workload: ReferenceWorkload): Promise<Measured> {
  const cpuBefore = readCpuMs(server.pid);
  const { ids: _ids, ...result } = await runWorkload(server.smtp, workload);
  const cpuMs = readCpuMs(server.pid) - cpuBefore;
  return {
    ...result,
    serverCpuMsPerMessage: Math.round((cpuMs / Math.max(1, result.accepted)) * 1000) / 1000,
  };
}

async function repeat(
  context: SectionContext,
  label: string,
  start: () => Promise<ServerUnderTest>,
  /** true: a fresh server per run (an empty store each time); false: one server for all runs. */
  freshServer: boolean,
  /**
   * A ceiling server that runs the same workload right before each fresh server's run: on a machine
   * shared with other work, a ratio is only meaningful between runs seconds apart.
   */
  pair: ServerUnderTest | null = null,
  peer: Peer | null = null,
): Promise<Repeated[]> {
  const repeats = context.options.quick ? 1 : REPEATS_FULL;
  const workloads = referenceWorkloads(context.scale);
  const runs = new Map<ReferenceWorkload, Measured[]>(workloads.map((workload) => [workload, []]));
  const ceilingRuns = new Map<ReferenceWorkload, Measured[]>(workloads.map((workload) => [workload, []]));
  const peerRuns = new Map<ReferenceWorkload, Measured[]>(workloads.map((workload) => [workload, []]));
  const runOnce = async (server: ServerUnderTest, workload: ReferenceWorkload, attempt: number) => {
    context.log(`${label}: ${workload.name} (${workload.messages} messages, run ${attempt + 1}/${repeats})`);
    runs.get(workload)?.push(await measure(server, workload));
  };
  // Rounds go over all workloads in turn, so a burst of outside load hits one run of several, not all of one.
  for (let attempt = 0; attempt < repeats; attempt += 1) {
    if (freshServer) {
      for (const workload of workloads) {
        const peerRun = peer === null ? null : await peer.measure(workload);
        if (peerRun !== null) peerRuns.get(workload)?.push(peerRun);
        await withServer(await start(), async (server) => {
          await warmUp(context, server);
          if (pair !== null) ceilingRuns.get(workload)?.push(await measure(pair, workload));
          await runOnce(server, workload, attempt);
        });
      }
    } else {
      await withServer(await start(), async (server) => {
        await warmUp(context, server);
        for (const workload of workloads) await runOnce(server, workload, attempt);
      });
    }
  }
  return workloads.map((workload) => {
    const measured = runs.get(workload) ?? [];
    return {
      workload,
      runs: measured,
      median: medianRun(measured, workload.name),
      ceilingRuns: ceilingRuns.get(workload) ?? [],
      peerRuns: peerRuns.get(workload) ?? [],
    };
  });
}

/** The run with the median rate (its latencies are the ones shown). */
function medianRun(runs: readonly Measured[], label: string): Measured {
  const middle = median(runs.map((run) => run.messagesPerSecond));
  const chosen = runs.find((run) => run.messagesPerSecond === middle) ?? runs[0];
  if (!chosen) throw new Error(`${label}: no run finished`);
  return chosen;
}

function spread(runs: readonly Measured[]): string {
  return runs.length < 2 ? "" : `; runs ${ratesOf(runs)} msg/s`;
}

/** Each run's rate, rounded: "a / b / c". */
function ratesOf(runs: readonly Measured[]): string {
  return runs.map((run) => Math.round(run.messagesPerSecond)).join(" / ");
}

/** The ceiling's rates and CPU per message, by workload name, for the ingest rows of the same run. */
export interface Ceiling {
  rates: Map<string, number>;
  cpuMsPerMessage: Map<string, number>;
}

/** The reference workloads against bare, discarding smtp-server: the ceiling on this machine. */
export async function runCeiling(
  context: SectionContext,
): Promise<{ result: SectionResult; ceiling: Ceiling }> {
  const measured = await repeat(context, "ceiling", () => context.startCeiling(), false);
  return {
    result: {
      rows: measured.map(({ workload, runs, median: result }) => ({
        section: "ceiling",
        metric: workload.name,
        value: result.messagesPerSecond,
        unit: "msg/s",
        note: `bare smtp-server, discarding; ${latencyNote("DATA→250", result.dataToOk)}${spread(runs)}`,
      })),
      details: { ceiling: measured.map(({ workload, runs }) => ({ name: workload.name, runs })) },
    },
    ceiling: {
      rates: new Map(
        measured.map(({ workload, median: result }) => [workload.name, result.messagesPerSecond]),
      ),
      cpuMsPerMessage: new Map(
        measured.map(({ workload, runs }) => [
          workload.name,
          median(runs.map((run) => run.serverCpuMsPerMessage)),
        ]),
      ),
    },
  };
}

/**
 * Each workload against a fresh Mailnest (warmed up, then emptied; fsync on). Besides the rates
 * (issue 7's targets in msg/s), issue 18's figures: each rate as a share of the ceiling, and the
 * server's CPU per message at 16 connections (all threads: work moved to a worker thread still
 * counts). When the ceiling section runs too, the bare smtp-server runs each workload again right
 * before each Mailnest run, and the share is the median of those paired ratios: the machine is
 * shared, and the ceiling section's own figures are minutes older.
 */
export async function runIngest(context: SectionContext, ceiling: Ceiling | null): Promise<SectionResult> {
  const maildev = context.options.maildev ? await mailDevPeer(context) : null;
  const pair = ceiling === null ? null : await context.startCeiling();
  const measured = await (async () => {
    try {
      if (pair !== null) await warmUp(context, pair);
      return await repeat(context, "ingest", () => context.startMailnest(), true, pair, maildev);
    } finally {
      await pair?.close();
    }
  })();
  const rows: ResultRow[] = [];
  const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
  for (const { workload, runs, median: result, ceilingRuns, peerRuns } of measured) {
    const sent =
      result.accepted < result.requested ? `; ${result.accepted}/${result.requested} accepted` : "";
    const paired = ceilingRuns.length === runs.length && runs.length > 0;
    const ceilingRate = paired ? median(ceilingRuns.map((run) => run.messagesPerSecond)) : undefined;
    const shares = paired
      ? runs.map((run, i) => run.messagesPerSecond / (ceilingRuns[i]?.messagesPerSecond ?? Number.NaN))
      : [];
    const againstMailDev = peerRuns.length === runs.length && runs.length > 0;
    const mailDevRate = againstMailDev ? median(peerRuns.map((run) => run.messagesPerSecond)) : undefined;
    rows.push({
      section: "ingest",
      metric: workload.name,
      value: result.messagesPerSecond,
      unit: "msg/s",
      note: `${latencyNote("DATA→250", result.dataToOk)}${sent}${spread(runs)}`,
      ...(ceilingRate === undefined ? {} : { ceiling: ceilingRate }),
      maildev:
        mailDevRate === undefined
          ? `${workload.maildev} (issue 7)`
          : `${formatFigure(mailDevRate, "msg/s")} here${workload.maildev === "–" ? "" : ` (issue 7: ${workload.maildev})`}`,
      smtpServerReference: workload.smtpServerReference,
      ...(workload.target === undefined ? {} : { target: { op: ">=", value: workload.target } }),
    });
    rows.push({
      section: "ingest",
      metric: `${workload.name}: share of the ceiling`,
      value: paired ? round(median(shares), 2) : null,
      unit: "",
      note: paired
        ? `median of ${shares.length} paired runs: ${shares.map((share) => share.toFixed(2)).join(" / ")}`
        : "no ceiling in this run (--only without ceiling)",
      target: { op: ">=", value: workload.ceilingShare },
    });
    rows.push(mailDevRow(workload, runs, peerRuns, maildev?.missing ?? "--no-maildev"));
  }
  const cpuOf = (runs: readonly Measured[]) =>
    runs.length > 0 ? median(runs.map((run) => run.serverCpuMsPerMessage)) : null;
  const cpuMeasured = measured.find(({ workload }) => workload.name === CPU_WORKLOAD);
  const cpuRuns = cpuMeasured?.runs ?? [];
  const ceilingCpu = cpuOf(cpuMeasured?.ceilingRuns ?? []);
  rows.push({
    section: "ingest",
    metric: `server CPU per message, ${CPU_WORKLOAD}`,
    value: cpuOf(cpuRuns),
    unit: "ms",
    note: `all threads, user + system; runs ${cpuRuns.map((run) => run.serverCpuMsPerMessage.toFixed(2)).join(" / ")} ms${mailDevCpuNote(cpuMeasured?.peerRuns ?? [])}`,
    ...(ceilingCpu === null ? {} : { ceiling: ceilingCpu }),
    target: { op: "<=", value: CPU_PER_MESSAGE_TARGET_MS },
  });
  const atCap = await measureAtCap(context);
  const uncapped = cpuMeasured?.median.messagesPerSecond ?? null;
  rows.push({
    section: "ingest",
    metric: `${CPU_WORKLOAD}, the store at its --max-messages (${AT_CAP_MAX_MESSAGES.toLocaleString("en-US")})`,
    value: atCap.median.messagesPerSecond,
    unit: "msg/s",
    note: `every message removes the oldest; server CPU per message ${cpuOf(atCap.runs)?.toFixed(2)} ms; ${latencyNote("DATA→250", atCap.median.dataToOk)}${spread(atCap.runs)}`,
  });
  rows.push({
    section: "ingest",
    metric: `${CPU_WORKLOAD}: at the --max-messages cap vs without one`,
    value: uncapped === null ? null : Math.round((atCap.median.messagesPerSecond / uncapped) * 100),
    unit: "%",
    note: "a sandbox that has run a while sits at its cap (10,000 by default): its ingest should not fall much below a fresh store's",
    ...(context.options.quick ? {} : { target: { op: ">=" as const, value: 85 } }),
  });
  return {
    rows,
    details: {
      ingest: measured.map(({ workload, runs, ceilingRuns, peerRuns }) => ({
        name: workload.name,
        runs,
        ceilingRuns,
        maildevRuns: peerRuns,
      })),
      maildev: { version: MAILDEV_VERSION, missing: maildev?.missing ?? "--no-maildev" },
      atCap: atCap.runs,
    },
  };
}

/** The store's retention cap in the at-cap runs: small, so reaching it takes seconds. */
const AT_CAP_MAX_MESSAGES = 2_000;

/**
 * The 16-connection workload against a server whose store is already at `--max-messages`, so each
 * message stored removes the oldest one (the steady state of a long-running sandbox), fresh server
 * per run like the uncapped runs.
 */
async function measureAtCap(context: SectionContext): Promise<{ runs: Measured[]; median: Measured }> {
  const repeats = context.options.quick ? 1 : REPEATS_FULL;
  const workload = referenceWorkloads(context.scale).find(({ name }) => name === CPU_WORKLOAD);
  if (!workload) throw new Error(`no ${CPU_WORKLOAD} workload`);
  const runs: Measured[] = [];
  for (let attempt = 0; attempt < repeats; attempt += 1) {
    await withServer(await context.startMailnest({ maxMessages: AT_CAP_MAX_MESSAGES }), async (server) => {
      context.log(`ingest: ${CPU_WORKLOAD} at the cap (run ${attempt + 1}/${repeats}): filling past it`);
      const fill = await runWorkload(
        server.smtp,
        storeLoad("fill past the cap", AT_CAP_MAX_MESSAGES + 500, 0, 60_000),
      );
      if (fill.accepted < AT_CAP_MAX_MESSAGES) {
        throw new Error(`at the cap: only ${fill.accepted} of the fill accepted (${fill.errors.join("; ")})`);
      }
      runs.push(await measure(server, workload));
    });
  }
  return { runs, median: medianRun(runs, "at the cap") };
}

/**
 * MailDev as the peer of each ingest run. It is installed on first use; a machine without npm's
 * registry, or a MailDev that does not start, still gets every Mailnest figure, and the MailDev rows
 * say why they are empty.
 */
async function mailDevPeer(context: SectionContext): Promise<Peer> {
  let missing = "";
  const giveUp = (error: unknown) => {
    missing = error instanceof Error ? error.message : String(error);
    context.log(`ingest: MailDev not measured: ${missing}`);
  };
  let bin: string | null = null;
  try {
    bin = await installMailDev(context.log);
  } catch (error) {
    giveUp(error);
  }
  return {
    get missing() {
      return missing;
    },
    async measure(workload) {
      if (bin === null || missing !== "") return null;
      let server: MailDevUnderTest;
      try {
        server = await startMailDev(bin);
      } catch (error) {
        if (!(error instanceof PeerUnavailableError)) throw error;
        giveUp(error);
        return null;
      }
      try {
        await warmUp(context, server);
        await server.clear();
        context.log(`ingest: ${workload.name} against MailDev ${MAILDEV_VERSION}`);
        return await measure(server, { ...workload, timeCapMs: mailDevTimeCapMs(workload) });
      } finally {
        await server.close();
      }
    },
  };
}

/**
 * Mailnest's rate as a multiple of MailDev's, paired run by run. Issue 18: on reused connections
 * Mailnest, durable, should be ahead of MailDev, which keeps mail in memory without fsync.
 */
function mailDevRow(
  workload: ReferenceWorkload,
  runs: readonly Measured[],
  peerRuns: readonly Measured[],
  missing: string,
): ResultRow {
  const metric = `${workload.name}: Mailnest / MailDev ${MAILDEV_VERSION}, same run`;
  const target = workload.reuseConnection ? { target: { op: ">=" as const, value: 1 } } : {};
  if (peerRuns.length !== runs.length || runs.length === 0) {
    return { section: "ingest", metric, value: null, unit: "", note: `MailDev not measured: ${missing}` };
  }
  const ratios = runs.map((run, i) => run.messagesPerSecond / (peerRuns[i]?.messagesPerSecond ?? Number.NaN));
  const capped = peerRuns.some((run) => run.accepted < run.requested)
    ? `; MailDev's runs stop after ${mailDevTimeCapMs(workload) / 1000} s (accepted ${peerRuns.map((run) => run.accepted).join(" / ")} of ${workload.messages})`
    : "";
  return {
    section: "ingest",
    metric,
    value: Math.round(median(ratios) * 100) / 100,
    unit: "",
    note: `Mailnest durable, MailDev in memory; median of ${ratios.length} paired runs: ${ratios.map((ratio) => ratio.toFixed(2)).join(" / ")}; MailDev ${ratesOf(peerRuns)} msg/s${capped}`,
    ...target,
  };
}

function mailDevCpuNote(peerRuns: readonly Measured[]): string {
  if (peerRuns.length === 0) return "";
  return `; MailDev in memory: ${median(peerRuns.map((run) => run.serverCpuMsPerMessage)).toFixed(2)} ms`;
}
