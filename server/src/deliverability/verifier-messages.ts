import type { DnsMode, DnsRecord, MessageAuthentication } from "@mailnest/protocol";
import type { ZoneChange } from "./dns-zone.js";
import type { VerificationInput } from "./verify-message.js";

/**
 * What the main thread and a verification thread say to each other (verifier-pool.ts,
 * verifier-worker.ts): in a module of their own, so that neither side imports the other.
 */

/** What a verification thread starts with: the zone as it is, and how to resolve beyond it. */
export interface VerifierWorkerData {
  records: DnsRecord[];
  mode: DnsMode;
  authservId: string;
}

/** Main thread → verification thread: the zone's changes, in order, and messages to verify. */
export type ToWorker =
  | ZoneChange
  | { kind: "verify"; id: number; input: Omit<VerificationInput, "raw"> & { raw: Uint8Array } };

export interface FromWorker {
  id: number;
  result: MessageAuthentication;
}
