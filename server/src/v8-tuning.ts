import { constants, PerformanceObserver } from "node:perf_hooks";
import { getHeapStatistics, setFlagsFromString } from "node:v8";

/**
 * V8 settings for a process whose main job is to run the sandbox: the CLI applies them before it
 * starts, and an app that embeds `startSandbox` in a long-lived process may call this too (it
 * changes V8's heuristics for the whole process, which is why `startSandbox` does not do it).
 *
 * `--no-allocation-site-pretenuring`: under a sustained load V8 saw that the objects of some
 * allocation sites (the `Buffer` wrappers among them: socket reads, parser chunks) outlived a
 * scavenge now and then, and began allocating them straight in the old generation. A message's
 * buffers then lived until the next full collection instead of dying in the young generation within
 * milliseconds, and glibc's heap grew by what they held (21–33 MB after 10,000 messages, 43 MB
 * after 50,000), which it never gave back. With the flag, the same fills end with a heap of 8–9 MB
 * and 16 MB.
 * docs/performance.md ("pretenuring") has the figures. The flag is read at each collection, so
 * setting it at run time takes effect from the next one.
 *
 * The old generation's growth while the heap is small: see `HeapGrowthPolicy`.
 */
export function tuneV8ForServer(): void {
  setFlagsFromString("--no-allocation-site-pretenuring");
  watchHeapGrowth(setFlagsFromString);
}

/**
 * Applies `HeapGrowthPolicy` now and after every full collection, with the heap in use when the
 * collection is reported (the observer runs a little after it). Returns a function that stops.
 */
export function watchHeapGrowth(setFlags: (flags: string) => void): () => void {
  const policy = new HeapGrowthPolicy(setFlags);
  policy.afterFullCollection(getHeapStatistics().used_heap_size);
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some((entry) => isFullCollection((entry as { detail?: unknown }).detail))) {
      policy.afterFullCollection(getHeapStatistics().used_heap_size);
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  return () => observer.disconnect();
}

function isFullCollection(detail: unknown): boolean {
  return (detail as { kind?: number } | null)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

/** Below this much live heap the old generation may grow to four times its live size. */
export const SMALL_HEAP_BYTES = 32 * 1024 * 1024;

/**
 * After each full collection V8 sets the old generation's next limit to its live size times a
 * factor it derives from how fast it collects and how fast the program allocates. A fresh sandbox
 * has a small heap (about 17 MB) that V8 collects quickly, so under a burst of large messages it
 * chose small factors and marked the whole heap again every few messages: 10–48 full collections
 * for 100 messages of 1.4 MB, most of their CPU on V8's marking threads. A factor of 4 (V8's own
 * largest) left 2–3 of them and cut the server's CPU per message by about a quarter, with 2 KB
 * messages unchanged. For a large heap the same factor only adds memory (with it fixed for good, a
 * fill to 50,000 messages peaked at 326 MB, against 270–314 MB), so the factor is fixed while the
 * live heap is under `SMALL_HEAP_BYTES` and left to V8 above it (that fill then peaked at 310 MB).
 * `--heap-growing-percent` is read each time V8 sets a limit, so it can change at run time (unlike
 * `--initial-old-space-size`, which only a command line can set).
 */
export class HeapGrowthPolicy {
  readonly #setFlags: (flags: string) => void;
  #fixed: boolean | null = null;

  constructor(setFlags: (flags: string) => void) {
    this.#setFlags = setFlags;
  }

  /** `liveBytes`: the heap in use right after a full collection (what V8 sets the next limit from). */
  afterFullCollection(liveBytes: number): void {
    const fixed = liveBytes < SMALL_HEAP_BYTES;
    if (fixed === this.#fixed) return;
    this.#fixed = fixed;
    // 300: a factor of 1 + 300 / 100 = 4. 0 hands the factor back to V8's own heuristics.
    this.#setFlags(`--heap-growing-percent=${fixed ? 300 : 0}`);
  }
}
