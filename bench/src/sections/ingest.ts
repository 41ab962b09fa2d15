import type { ServerUnderTest } from "../server/server-process.js";
import { runWorkload, type WorkloadResult } from "../smtp-load.js";
import { median } from "../stats.js";
import { type ReferenceWorkload, referenceWorkloads } from "../workloads.js";
import { latencyNote, type SectionContext, type SectionResult, warmUp, withServer } from "./section.js";

/** Full runs repeat each workload and report the median: the cores are shared with the client. */
const REPEATS_FULL = 3;

type Measured = Omit<WorkloadResult, "ids">;

interface Repeated {
  workload: ReferenceWorkload;
  runs: Measured[];
  /** The run with the median rate (its latencies are the ones shown). */
  median: Measured;
}

async function repeat(
  context: SectionContext,
  label: string,
  start: () => Promise<ServerUnderTest>,
  /** true: a fresh server per run (an empty store each time); false: one server for all runs. */
  freshServer: boolean,
): Promise<Repeated[]> {
  const repeats = context.options.quick ? 1 : REPEATS_FULL;
  const workloads = referenceWorkloads(context.scale);
  const runs = new Map<ReferenceWorkload, Measured[]>(workloads.map((workload) => [workload, []]));
  const runOnce = async (server: ServerUnderTest, workload: ReferenceWorkload, attempt: number) => {
    context.log(`${label}: ${workload.name} (${workload.messages} messages, run ${attempt + 1}/${repeats})`);
    const { ids: _ids, ...result } = await runWorkload(server.smtp, workload);
    runs.get(workload)?.push(result);
  };
  // Rounds go over all workloads in turn, so a burst of outside load hits one run of several, not all of one.
  for (let attempt = 0; attempt < repeats; attempt += 1) {
    if (freshServer) {
      for (const workload of workloads) {
        await withServer(await start(), async (server) => {
          await warmUp(context, server);
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
    const middle = median(measured.map((run) => run.messagesPerSecond));
    const chosen = measured.find((run) => run.messagesPerSecond === middle) ?? measured[0];
    if (!chosen) throw new Error(`${workload.name}: no run finished`);
    return { workload, runs: measured, median: chosen };
  });
}

function spread(runs: readonly Measured[]): string {
  if (runs.length < 2) return "";
  const rates = runs.map((run) => Math.round(run.messagesPerSecond));
  return `; runs ${rates.join(" / ")} msg/s`;
}

/** Issue 7's four workloads against bare, discarding smtp-server: the ceiling on this machine. */
export async function runCeiling(
  context: SectionContext,
): Promise<{ result: SectionResult; byName: Map<string, number> }> {
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
    byName: new Map(
      measured.map(({ workload, median: result }) => [workload.name, result.messagesPerSecond]),
    ),
  };
}

/** Each workload against a fresh Mailnest (warmed up, then emptied; fsync on). */
export async function runIngest(
  context: SectionContext,
  ceiling: Map<string, number> | null,
): Promise<SectionResult> {
  const measured = await repeat(context, "ingest", () => context.startMailnest(), true);
  const rows: SectionResult["rows"] = measured.map(({ workload, runs, median: result }) => {
    const sent =
      result.accepted < result.requested ? `; ${result.accepted}/${result.requested} accepted` : "";
    const ceilingRate = ceiling?.get(workload.name);
    return {
      section: "ingest",
      metric: workload.name,
      value: result.messagesPerSecond,
      unit: "msg/s",
      note: `${latencyNote("DATA→250", result.dataToOk)}${sent}${spread(runs)}`,
      ...(ceilingRate === undefined ? {} : { ceiling: ceilingRate }),
      maildev: workload.maildev,
      smtpServerReference: workload.smtpServerReference,
      target: { op: ">=", value: workload.target },
    };
  });
  return { rows, details: { ingest: measured.map(({ workload, runs }) => ({ name: workload.name, runs })) } };
}
