import { readFile } from "node:fs/promises";
import path from "node:path";

/**
 * Summarises a V8 .cpuprofile (from `pnpm bench -- --cpu-prof <dir>`): the functions with the most
 * self time, and the most inclusive time, so a flame graph's widest bars can be named in text.
 *
 *   npx tsx bench/src/profile-summary.ts <file.cpuprofile> [top=25] [filter]
 *
 * `filter` keeps only functions whose URL contains it (e.g. "server/dist" for Mailnest's own code).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url
    ? url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, "")
    : "";
  const where = file ? `${path.relative(process.cwd(), file) || file}:${lineNumber + 1}` : "";
  return `${functionName || "(anonymous)"} ${where}`.trim();
}

async function main(): Promise<void> {
  const [file, topArg, filter] = process.argv.slice(2);
  if (!file) {
    console.error("usage: profile-summary <file.cpuprofile> [top] [url filter]");
    process.exitCode = 2;
    return;
  }
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  // Self time per node from the sample stream (timeDeltas are µs between consecutive samples).
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index + 1] ?? 0));
  });
  const total = profile.endTime - profile.startTime;

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const node = byId.get(id);
    if (!node) continue;
    self.set(label(node), (self.get(label(node)) ?? 0) + micros);
    // Count each function once per sample, however deep it recurses.
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const ancestor = byId.get(current);
      if (!ancestor) break;
      const name = label(ancestor);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
    }
  }

  const print = (title: string, table: Map<string, number>) => {
    console.log(`\n${title}`);
    [...table]
      .filter(([name]) => !filter || name.includes(filter))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .forEach(([name, micros]) => {
        const share = ((micros / total) * 100).toFixed(1).padStart(5);
        console.log(`${share} %  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${name}`);
      });
  };
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s profiled`);
  print("self time", self);
  print("inclusive time", inclusive);
}

await main();
