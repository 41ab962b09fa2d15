import type { EventEmitter } from "node:events";

/**
 * Resolves when a writable that refused more (`write` returned false) has drained, or has closed:
 * waiting for "drain" alone would hang forever on a peer that went away.
 */
export function drained(stream: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
