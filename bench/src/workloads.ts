import { attachmentMessage, textMessage } from "./smtp/message-factory.js";
import type { Workload } from "./smtp-load.js";

/** Messages go to this many inboxes in turn, so per-inbox lists hold a realistic share. */
export const INBOX_SPREAD = 100;

export function benchRecipient(index: number): string {
  return `bench-${String(index % INBOX_SPREAD).padStart(3, "0")}@mailnest.test`;
}

const TWO_KB = textMessage(2 * 1024);

export interface ReferenceWorkload extends Workload {
  /** Issue 7's figures for the same workload. */
  maildev: string;
  smtpServerReference: string;
  /** Issue 7's target in msg/s, with fsync on (absent for workloads issue 7 did not have). */
  target?: number;
  /** Issue 18's target: at least this share of the bare smtp-server ceiling measured in the same run. */
  ceilingShare: number;
}

/** Issue 7's four reference workloads and issue 18's 8-connection one. `scale` shrinks the counts for --quick. */
export function referenceWorkloads(scale: number): ReferenceWorkload[] {
  const count = (full: number) => Math.max(10, Math.round(full * scale));
  return [
    {
      name: "1 connection reused, 2 KB",
      connections: 1,
      messages: count(2_000),
      reuseConnection: true,
      message: TWO_KB,
      timeCapMs: 45_000,
      recipient: benchRecipient,
      maildev: "443 msg/s",
      smtpServerReference: "2,045 msg/s",
      target: 900,
      ceilingShare: 0.3,
    },
    {
      name: "16 connections, 2 KB",
      connections: 16,
      messages: count(10_000),
      reuseConnection: true,
      message: TWO_KB,
      timeCapMs: 45_000,
      recipient: benchRecipient,
      maildev: "1,111 msg/s",
      smtpServerReference: "9,870 msg/s",
      target: 3_000,
      ceilingShare: 0.3,
    },
    {
      name: "4 connections, 1 MiB attachment",
      connections: 4,
      messages: count(200),
      reuseConnection: true,
      message: attachmentMessage(1024 * 1024, "1 MiB attachment"),
      timeCapMs: 45_000,
      recipient: benchRecipient,
      maildev: "55 msg/s",
      smtpServerReference: "355 msg/s",
      target: 200,
      ceilingShare: 0.6,
    },
    {
      name: "new connection per message, 2 KB",
      connections: 1,
      messages: count(1_000),
      reuseConnection: false,
      message: TWO_KB,
      timeCapMs: 45_000,
      recipient: benchRecipient,
      maildev: "10 msg/s",
      smtpServerReference: "10 msg/s (705 without the greeting delay)",
      target: 500,
      ceilingShare: 0.5,
    },
    {
      name: "new connection per message, 8 connections, 2 KB",
      connections: 8,
      messages: count(2_000),
      reuseConnection: false,
      message: TWO_KB,
      timeCapMs: 45_000,
      recipient: benchRecipient,
      maildev: "–",
      smtpServerReference: "–",
      // Issue 18's workload (issue 7 had none like it): judged as a share of the ceiling only.
      ceilingShare: 0.5,
    },
  ];
}

/** The store-filling load: as fast as the server takes it. */
export function storeLoad(name: string, messages: number, firstIndex: number, timeCapMs: number): Workload {
  // Offset indexes keep every Subject ("bench text <n>") unique across loads into one store.
  return {
    name,
    connections: 16,
    messages,
    reuseConnection: true,
    message: { ...TWO_KB, render: (index, to) => TWO_KB.render(firstIndex + index, to) },
    timeCapMs,
    recipient: (index) => benchRecipient(firstIndex + index),
    collectIds: true,
  };
}
