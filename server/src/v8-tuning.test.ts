import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

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
