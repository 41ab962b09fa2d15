import { performance } from "node:perf_hooks";
import { type LatencySummary, summarize } from "../stats.js";

export class ApiProbeError extends Error {
  override name = "ApiProbeError" as const;
}

export interface ProbeResult {
  latency: LatencySummary;
  /** Requests actually made (a probe stops at its time cap). */
  requests: number;
}

/**
 * Sequential GETs against the API, each timed from request to the last body byte, the way a test
 * or the web viewer experiences them. Fetch keeps the connection alive between requests.
 */
export async function probe(
  baseUrl: string,
  pathFor: (iteration: number) => string,
  options: { count: number; timeCapMs: number },
): Promise<ProbeResult> {
  const samples: number[] = [];
  const deadline = performance.now() + options.timeCapMs;
  for (let i = 0; i < options.count && performance.now() < deadline; i += 1) {
    const path = pathFor(i);
    const started = performance.now();
    const response = await fetch(baseUrl + path);
    await response.arrayBuffer();
    samples.push(performance.now() - started);
    if (!response.ok) throw new ApiProbeError(`GET ${path} answered ${response.status}`);
  }
  return { latency: summarize(samples), requests: samples.length };
}

export async function getJson<T>(baseUrl: string, path: string): Promise<T> {
  const response = await fetch(baseUrl + path);
  if (!response.ok)
    throw new ApiProbeError(`GET ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** One sample from the Prometheus text at /metrics, or null when absent. */
export async function readMetric(baseUrl: string, series: string): Promise<number | null> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) return null;
  const line = (await response.text()).split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}
