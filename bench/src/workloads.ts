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
  /** msg/s, with fsync on. */
  target: number;
}

/** The four workloads of issue 7's reference table. `scale` shrinks the counts for --quick. */
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
