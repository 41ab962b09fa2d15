import { Worker } from "node:worker_threads";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createIdleHeapRelease, IDLE_RELEASE_MS } from "./idle-heap-release.js";

describe("createIdleHeapRelease: when it releases", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("releases once the thread has stayed idle for the whole delay after work, and only once", async () => {
    const release = vi.fn(async () => {});
    const heap = createIdleHeapRelease({ release });

    heap.busy();
    heap.idle();
    await vi.advanceTimersByTimeAsync(IDLE_RELEASE_MS - 1);
    expect(release).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(release).toHaveBeenCalledTimes(1);

    // Idle again with no work since: nothing new to give back.
    heap.idle();
    await vi.advanceTimersByTimeAsync(IDLE_RELEASE_MS * 3);
    expect(release).toHaveBeenCalledTimes(1);
  });

  it("does nothing for a thread that never worked", async () => {
    const release = vi.fn(async () => {});
    createIdleHeapRelease({ release }).idle();
    await vi.advanceTimersByTimeAsync(IDLE_RELEASE_MS * 3);
    expect(release).not.toHaveBeenCalled();
  });

  it("calls a release off when work comes back before the delay, and waits a full delay after it", async () => {
    const release = vi.fn(async () => {});
    const heap = createIdleHeapRelease({ release });

    heap.busy();
    heap.idle();
    await vi.advanceTimersByTimeAsync(IDLE_RELEASE_MS / 2);
    heap.busy();
    await vi.advanceTimersByTimeAsync(IDLE_RELEASE_MS);
    expect(release).not.toHaveBeenCalled();

    heap.idle();
    await vi.advanceTimersByTimeAsync(IDLE_RELEASE_MS - 1);
    expect(release).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(release).toHaveBeenCalledTimes(1);
  });

  it("survives a release that fails (a Node built without the inspector)", async () => {
    const release = vi.fn(async () => {
      throw new Error("ERR_INSPECTOR_NOT_AVAILABLE");
    });
    const heap = createIdleHeapRelease({ release });
    heap.busy();
    heap.idle();
    await vi.advanceTimersByTimeAsync(IDLE_RELEASE_MS);
    heap.busy();
    heap.idle();
    await vi.advanceTimersByTimeAsync(IDLE_RELEASE_MS);
    expect(release).toHaveBeenCalledTimes(2);
  });
});

/**
 * A real worker thread that fills its old space with garbage (objects kept across scavenges, then
 * dropped), as a burst of verifications does, and reports its heap's committed size: after a quiet
 * period on its own, then after the release.
 */
const THREAD = `
import { register } from "tsx/esm/api";
register();
const { parentPort } = await import("node:worker_threads");
const { getHeapStatistics } = await import("node:v8");
const { createIdleHeapRelease } = await import(${JSON.stringify(new URL("./idle-heap-release.ts", import.meta.url).href)});
const committed = () => getHeapStatistics().total_heap_size;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const heap = createIdleHeapRelease({ idleMs: 50 });
heap.busy();
let kept = [];
for (let round = 0; round < 12; round += 1) {
  for (let i = 0; i < 20000; i += 1) kept.push({ text: "verdict " + round + ":" + i, list: [i, round] });
  await sleep(1);
}
kept = null;
const afterBurst = committed();
await sleep(300);
const quiet = committed();
heap.idle();
await sleep(400);
parentPort.postMessage({ afterBurst, quiet, released: committed() });
`;

describe("createIdleHeapRelease in a worker thread", () => {
  it("gives a burst's garbage back, which the thread's heap does not do by itself", async () => {
    const worker = new Worker(THREAD, { eval: true });
    try {
      const sizes = await new Promise<{ afterBurst: number; quiet: number; released: number }>(
        (resolve, reject) => {
          worker.once("message", resolve);
          worker.once("error", reject);
        },
      );
      const megabytes = (bytes: number) => Math.round(bytes / 2 ** 20);
      // The garbage is still committed after a quiet period of its own.
      expect(megabytes(sizes.quiet)).toBeGreaterThan(megabytes(sizes.afterBurst) - 10);
      // The release takes most of it back.
      expect(megabytes(sizes.released)).toBeLessThan(megabytes(sizes.quiet) / 2);
    } finally {
      await worker.terminate();
    }
  });
});
