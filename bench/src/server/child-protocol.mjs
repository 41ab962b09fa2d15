// The parent ↔ child protocol over the fork IPC channel: "ready" once listening, then the parent
// may ask for a garbage collection plus a memory reading (the steady-state figure), or a close.

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
      process.send?.({ type: "memory", memory: process.memoryUsage() });
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
