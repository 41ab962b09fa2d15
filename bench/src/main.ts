import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseOptions, type Section, USAGE } from "./options.js";
import { renderMarkdown, renderTable } from "./report/print-table.js";
import { type ResultRow, verdict } from "./report/result-row.js";
import { runAuthentication } from "./sections/authentication.js";
import { runGreeting } from "./sections/greeting.js";
import { runIdleLatency } from "./sections/idle-latency.js";
import { runIdleWaiters } from "./sections/idle-waiters.js";
import { type Ceiling, runCeiling, runIngest } from "./sections/ingest.js";
import { runLargeMessages } from "./sections/large-messages.js";
import { runPostgres } from "./sections/postgres.js";
import type { SectionContext, SectionResult } from "./sections/section.js";
import { runStoreRestart } from "./sections/store-restart.js";
import { runStoreScale } from "./sections/store-scale.js";
import { runWaitLatency } from "./sections/wait-latency.js";
import { runWebhooks } from "./sections/webhooks.js";
import { startCeiling, startMailnest } from "./server/server-process.js";

const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../results");
/** --quick divides counts by this much. */
const QUICK_SCALE = 0.1;

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
  }
  const options = parsed;
  const loadAtStart = os.loadavg();
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s`;
  const nodeFlags = options.cpuProfDir
    ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(options.cpuProfDir)]
    : [];
  const context: SectionContext = {
    options,
    scale: options.quick ? QUICK_SCALE : 1,
    log: (line) => console.error(`[${elapsed()}] ${line}`),
    startMailnest: (config) =>
      startMailnest({ nodeFlags, keepData: options.keepData, ...(config ? { config } : {}) }),
    startCeiling: () => startCeiling({ nodeFlags: [] }),
  };

  context.log(
    `Mailnest bench${options.quick ? " (quick: figures not comparable with the targets)" : ""}: ${options.sections.join(", ")}`,
  );
  const rows: ResultRow[] = [];
  const details: Record<string, unknown> = {};
  let ceiling: Ceiling | null = null;

  const run = async (section: Section, body: () => Promise<SectionResult>) => {
    if (!options.sections.includes(section)) return;
    const sectionStarted = performance.now();
    try {
      const result = await body();
      rows.push(...result.rows);
      details[section] = { ...result.details, durationMs: Math.round(performance.now() - sectionStarted) };
    } catch (error) {
      // One broken section must not hide the others' figures; the row marks it failed.
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      context.log(`${section} failed: ${message}`);
      rows.push({ section, metric: "section failed", value: null, unit: "", note: message });
      details[section] = { error: message, stack: error instanceof Error ? error.stack : undefined };
    }
  };

  await run("greeting", () => runGreeting(context));
  await run("ceiling", async () => {
    const measured = await runCeiling(context);
    ceiling = measured.ceiling;
    return measured.result;
  });
  await run("ingest", () => runIngest(context, ceiling));
  await run("wait", () => runWaitLatency(context));
  await run("scale", () => runStoreScale(context));
  await run("restart", () => runStoreRestart(context));
  await run("memory", () => runLargeMessages(context));
  await run("waiters", () => runIdleWaiters(context));
  await run("auth", () => runAuthentication(context));
  await run("webhooks", () => runWebhooks(context));
  await run("retrieval", () => runIdleLatency(context));
  await run("postgres", () => runPostgres(context));

  const durationMs = Math.round(performance.now() - started);
  const table = renderTable(rows);
  console.log(`\n${table}\n`);
  const failed = rows.filter((row) => verdict(row) === "FAIL").length;
  const checked = rows.filter((row) => row.target).length;
  console.log(`${checked - failed}/${checked} targets met; ${(durationMs / 1000).toFixed(0)} s in total.`);
  const loadAtEnd = os.loadavg();
  // Measured before the suite started anything: client and server share these cores, so other work
  // on the machine skews every figure. (The load at the end includes the suite's own processes.)
  if ((loadAtStart[0] ?? 0) > os.cpus().length / 2) {
    console.log(
      `Note: the machine was busy before the run (1-minute load ${loadAtStart[0]?.toFixed(1)} on ${os.cpus().length} cores): treat these figures as noisy.`,
    );
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const outFile = options.outFile ? path.resolve(options.outFile) : path.join(RESULTS_DIR, `${stamp}.json`);
  await mkdir(path.dirname(outFile), { recursive: true });
  const report = {
    startedAt: new Date(Date.now() - durationMs).toISOString(),
    durationMs,
    options,
    machine: { ...machineDescription(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadAtEnd },
    rows: rows.map((row) => ({ ...row, verdict: verdict(row) })),
    markdown: renderMarkdown(rows),
    details,
  };
  await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`Results: ${path.relative(process.cwd(), outFile)}`);
  return 0;
}

function machineDescription() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryMb: Math.round(os.totalmem() / 1024 / 1024),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    note: "client and server on the same machine, loopback; Mailnest with its data dir on disk and fsync on",
  };
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
