import { setFlagsFromString } from "node:v8";

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
 */
export function tuneV8ForServer(): void {
  setFlagsFromString("--no-allocation-site-pretenuring");
}
