import { parentPort, workerData } from "node:worker_threads";
import { createIdleHeapRelease } from "../idle-heap-release.js";
import { createDnsResolver } from "./dns-resolver.js";
import { DnsZone } from "./dns-zone.js";
import type { FromWorker, ToWorker, VerifierWorkerData } from "./verifier-messages.js";
import { createMessageVerifier } from "./verify-message.js";

/**
 * A verification thread (verifier-pool.ts): a copy of the zone, kept current by the changes the main
 * thread sends in order, and the same verifier the main thread would run.
 */
const data = workerData as VerifierWorkerData;
const zone = new DnsZone();
for (const record of data.records) zone.add(record);
const verifier = createMessageVerifier({
  resolver: createDnsResolver({ zone, mode: data.mode }),
  authservId: data.authservId,
});

/** Verifications started and not yet answered. */
let running = 0;
/** A burst's garbage is given back once the thread has been idle a while (idle-heap-release.ts). */
const heap = createIdleHeapRelease();
/** Verdicts waiting for the end of this turn (see `FromWorker`). */
let finished: FromWorker["results"] = [];

/**
 * Answers at once when nothing else is running (one message at a time: no wait added to its 250);
 * otherwise with the other verdicts that finish in this turn, in one post at its end.
 */
function answer(id: number, result: FromWorker["results"][number]["result"]): void {
  running -= 1;
  if (running === 0) heap.idle();
  if (running === 0 && finished.length === 0) {
    parentPort?.postMessage({ results: [{ id, result }] } satisfies FromWorker);
    return;
  }
  if (finished.length === 0) {
    setImmediate(() => {
      const results = finished;
      finished = [];
      parentPort?.postMessage({ results } satisfies FromWorker);
    });
  }
  finished.push({ id, result });
}

parentPort?.on("message", (message: ToWorker) => {
  switch (message.kind) {
    case "add":
      zone.add(message.record);
      return;
    case "remove":
      zone.remove(message.selector);
      return;
    case "clear":
      zone.clear();
      return;
    case "replace":
      zone.replace(message.records);
      return;
    case "verify":
      heap.busy();
      for (const { id, input } of message.requests) {
        const raw = Buffer.from(input.raw.buffer, input.raw.byteOffset, input.raw.byteLength);
        running += 1;
        void verifier.verify({ ...input, raw }).then((result) => answer(id, result));
      }
  }
});
