import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { HeapGrowthPolicy, SMALL_HEAP_BYTES, watchHeapGrowth } from "./v8-tuning.js";

const TSX_LOADER = new URL(`file://${createRequire(import.meta.url).resolve("tsx")}`).href;
const TUNING = new URL("./v8-tuning.ts", import.meta.url).href;

/**
 * Builds objects at one allocation site and keeps them across many scavenges, the pattern that makes
 * V8 pretenure a site, then asks V8 where a fresh object from that site was allocated. In a process
 * of its own (V8's flags are per process), single-threaded: with V8's helper threads, when it decides
 * varies from run to run.
 */
const PROBE = `
import { setFlagsFromString } from "node:v8";
setFlagsFromString("--allow-natives-syntax");
const { tuneV8ForServer } = await import(${JSON.stringify(TUNING)});
if (process.argv[1] === "tuned") tuneV8ForServer();
const inYoungGeneration = new Function("o", "return %InYoungGeneration(o)");
const make = (i) => ({ i, list: [i] });
const kept = [];
for (let round = 0; round < 20; round += 1) {
  for (let i = 0; i < 50000; i += 1) kept.push(make(i));
  for (let j = 0; j < 200; j += 1) new Array(10000).fill(j);
}
process.stdout.write(JSON.stringify({ pretenured: !inYoungGeneration(make(0)) }));
`;

/** Whether V8 allocates the probe's objects in the old generation by the end. */
async function pretenures(tuned: boolean): Promise<boolean> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "--single-threaded",
      "--import",
      TSX_LOADER,
      "--input-type=module",
      "-e",
      PROBE,
      tuned ? "tuned" : "default",
    ],
    { timeout: 60_000 },
  );
  return (JSON.parse(stdout) as { pretenured: boolean }).pretenured;
}

describe("tuneV8ForServer", () => {
  it("keeps V8 from pretenuring objects whose allocation site usually survived", async () => {
    // The control: without the tuning, V8 allocates the site's objects in the old generation, so
    // the probe below can tell the two apart.
    expect(await pretenures(false)).toBe(true);
    expect(await pretenures(true)).toBe(false);
  }, 120_000);
});

describe("HeapGrowthPolicy", () => {
  it("fixes the growing factor at 4 while the live heap is small and hands it back to V8 above that", () => {
    const flags: string[] = [];
    const policy = new HeapGrowthPolicy((set) => flags.push(set));
    policy.afterFullCollection(17 * 1024 * 1024);
    expect(flags).toEqual(["--heap-growing-percent=300"]);
    policy.afterFullCollection(SMALL_HEAP_BYTES - 1);
    expect(flags, "set again only when the answer changes").toHaveLength(1);
    policy.afterFullCollection(SMALL_HEAP_BYTES);
    expect(flags).toEqual(["--heap-growing-percent=300", "--heap-growing-percent=0"]);
    policy.afterFullCollection(90 * 1024 * 1024);
    expect(flags).toHaveLength(2);
    policy.afterFullCollection(20 * 1024 * 1024);
    expect(flags.at(-1)).toBe("--heap-growing-percent=300");
  });

  it("starts with V8's own factor when the first heap it sees is already large", () => {
    const flags: string[] = [];
    new HeapGrowthPolicy((set) => flags.push(set)).afterFullCollection(SMALL_HEAP_BYTES * 2);
    expect(flags).toEqual(["--heap-growing-percent=0"]);
  });
});

describe("watchHeapGrowth", () => {
  it("applies the policy after each full collection", async () => {
    // A full collection on demand: --expose-gc set now shows `gc` in contexts made from here on.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as (() => void) | undefined;
    expect(gc).toBeTypeOf("function");
    const flags: string[] = [];
    const stop = watchHeapGrowth((set) => flags.push(set));
    try {
      // The suite's own heap may already be over the threshold: the first answer depends on it.
      const first = flags[0];
      // Enough live objects to cross SMALL_HEAP_BYTES, kept until after the collection.
      const held = Array.from({ length: 3 }, () => new Array(2 * 1024 * 1024).fill({ kept: true }));
      gc?.();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(held).toHaveLength(3);
      expect(flags.at(-1)).toBe("--heap-growing-percent=0");
      if (first === "--heap-growing-percent=300") expect(flags).toHaveLength(2);
    } finally {
      stop();
    }
  });
});
