import type { BenchOptions } from "../options.js";
import type { ResultRow } from "../report/result-row.js";
import type { ServerUnderTest, StartOptions } from "../server/server-process.js";
import { runWorkload, type Workload } from "../smtp-load.js";
import { storeLoad } from "../workloads.js";

export interface SectionContext {
  options: BenchOptions;
  /** 1 for the full run; smaller for --quick. Multiplies message and request counts. */
  scale: number;
  log(line: string): void;
  /** A fresh Mailnest (own temp data dir) in a child process; the section closes it. */
  startMailnest(config?: StartOptions["config"]): Promise<ServerUnderTest>;
  startCeiling(): Promise<ServerUnderTest>;
}

export interface SectionResult {
  rows: ResultRow[];
  /** Everything measured, for the JSON file. */
  details: Record<string, unknown>;
}

/** Scales a count for --quick, never below `minimum`. */
export function scaled(context: SectionContext, full: number, minimum = 10): number {
  return Math.max(minimum, Math.round(full * context.scale));
}

export async function withServer<T>(
  server: ServerUnderTest,
  run: (server: ServerUnderTest) => Promise<T>,
): Promise<T> {
  try {
    return await run(server);
  } finally {
    await server.close();
  }
}

export function latencyNote(label: string, summary: { p50: number; p99: number }): string {
  return `${label} p50 ${summary.p50.toFixed(2)} / p99 ${summary.p99.toFixed(2)} ms`;
}

/**
 * Sends a few hundred small messages so a fresh server's code paths are compiled before anything is
 * timed, then (for Mailnest) deletes them, so "an empty store" still means empty. A section whose
 * messages take a path the plain ones do not (signed mail through the verification thread) passes
 * its own `workload`: it is sent instead, capped at the same count.
 */
export async function warmUp(
  context: SectionContext,
  server: ServerUnderTest,
  workload?: Workload,
): Promise<void> {
  const messages = scaled(context, 500, 100);
  const load = workload
    ? { ...workload, name: "warm-up", messages: Math.min(messages, workload.messages), collectIds: false }
    : storeLoad("warm-up", messages, 0, 30_000);
  const result = await runWorkload(server.smtp, load);
  if (result.accepted === 0) throw new Error(`warm-up: no message accepted (${result.errors.join("; ")})`);
  if (server.apiUrl !== null) {
    const response = await fetch(`${server.apiUrl}/api/messages`, { method: "DELETE" });
    if (!response.ok) throw new Error(`warm-up: DELETE /api/messages answered ${response.status}`);
  }
}
