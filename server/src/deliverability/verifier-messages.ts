import type { DnsMode, DnsRecord, MessageAuthentication } from "@mailnest/protocol";
import type { ZoneChange } from "./dns-zone.js";
import type { VerificationInput } from "./message-verifier.js";

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

/** One message to verify, as posted to a thread. */
export interface VerifyRequest {
  id: number;
  input: Omit<VerificationInput, "raw"> & { raw: Uint8Array };
}

/**
 * Main thread → verification thread: the zone's changes, in order, and messages to verify. Messages
 * go in batches (those of one event-loop turn): each post wakes the other thread, and one post per
 * message was about 4 % of the main thread at 16 connections.
 */
export type ToWorker = ZoneChange | { kind: "verify"; requests: VerifyRequest[] };

/** Verification thread → main thread: the verdicts of one turn of the thread, batched the same way. */
export interface FromWorker {
  results: Array<{ id: number; result: MessageAuthentication }>;
}
