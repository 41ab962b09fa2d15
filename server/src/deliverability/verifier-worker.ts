import { parentPort, workerData } from "node:worker_threads";
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
    case "verify": {
      const { id, input } = message;
      const raw = Buffer.from(input.raw.buffer, input.raw.byteOffset, input.raw.byteLength);
      void verifier.verify({ ...input, raw }).then((result) => {
        parentPort?.postMessage({ id, result } satisfies FromWorker);
      });
    }
  }
});
