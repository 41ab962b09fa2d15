// The parent ↔ child protocol over the fork IPC channel: "ready" once listening, then the parent
// may ask for a garbage collection plus a memory reading (the steady-state figure), or a close.
import { Session } from "node:inspector/promises";

/**
 * @param {{ smtpPort: number; httpPort: number | null }} ports
 * @param {() => Promise<unknown>} close
 */
export function serveParent(ports, close) {
  if (!process.send) throw new Error("this script is started by the benchmark suite (child_process.fork)");
  process.on("message", async (/** @type {{ type: string }} */ message) => {
    if (message.type === "gc") {
      // Two passes: the first frees objects, the second what their finalizers released.
      globalThis.gc?.();
      globalThis.gc?.();
      const rssAfterGc = process.memoryUsage().rss;
      // gc() leaves the old generation as large as the last burst made it. When the process goes
      // quiet, V8's memory reducer compacts it and gives the pages back within about 30 s; this
      // asks for that collection now (the heap profiler's "collect garbage" is the same kind).
      const session = new Session();
      session.connect();
      await session.post("HeapProfiler.collectGarbage");
      session.disconnect();
      process.send?.({ type: "memory", memory: { ...process.memoryUsage(), rssAfterGc } });
    } else if (message.type === "close") {
      await close();
      process.send?.({ type: "closed" });
      process.disconnect();
    }
  });
  // The parent vanishing (Ctrl-C, crash) must not leave a server listening.
  process.on("disconnect", () => process.exit(0));
  process.send({ type: "ready", ...ports });
}
