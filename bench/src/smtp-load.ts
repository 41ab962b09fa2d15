import { performance } from "node:perf_hooks";
import type { MessageTemplate } from "./smtp/message-factory.js";
import { SmtpConnection } from "./smtp/smtp-connection.js";
import { type LatencySummary, summarize } from "./stats.js";

/**
 * The load generator: `connections` clients share one counter of `messages` and send until it
 * runs out or `timeCapMs` passes. A reused connection sends one EHLO and then transaction after
 * transaction (pipelined where the server says PIPELINING); otherwise every message pays for
 * connect, greeting, EHLO and QUIT, like nodemailer without `pool`.
 */
export interface Workload {
  name: string;
  connections: number;
  messages: number;
  reuseConnection: boolean;
  message: MessageTemplate;
  /** Ends the run early (the result says how many were sent); keeps the suite bounded. */
  timeCapMs: number;
  /** Envelope recipient of message `index`. */
  recipient(index: number): string;
  /** Keep the message ids the server names in its 250 replies (for later reads). */
  collectIds?: boolean;
}

export interface Target {
  host: string;
  port: number;
}

export interface WorkloadResult {
  name: string;
  connections: number;
  messageLabel: string;
  messageBytes: number;
  requested: number;
  accepted: number;
  failed: number;
  /** The first few distinct failures, to explain a bad run. */
  errors: string[];
  durationMs: number;
  cappedByTime: boolean;
  messagesPerSecond: number;
  /** Final dot → 250, per message. */
  dataToOk: LatencySummary;
  /** Connect → 220, per connection opened. */
  greeting: LatencySummary;
  /** With `collectIds`: ids found in the 250 replies (Mailnest says "queued as <id>"). */
  ids: string[];
}

const MAIL_FROM = "sender@bench.localhost";
/** A run with this many failures is broken; stop rather than hammer a failing server. */
const MAX_FAILURES = 50;
/** A store message id (26-character ULID) in a reply text. */
export const ID_IN_REPLY = /\b([0-9a-z]{26})\b/;

export async function runWorkload(target: Target, workload: Workload): Promise<WorkloadResult> {
  const latencies: number[] = [];
  const greetings: number[] = [];
  const ids: string[] = [];
  const errors = new Map<string, number>();
  let next = 0;
  let accepted = 0;
  let failed = 0;
  let cappedByTime = false;
  const started = performance.now();
  const deadline = started + workload.timeCapMs;

  const claim = (): number | null => {
    if (next >= workload.messages || failed >= MAX_FAILURES) return null;
    if (performance.now() > deadline) {
      cappedByTime = true;
      return null;
    }
    next += 1;
    return next - 1;
  };

  const open = async (): Promise<SmtpConnection> => {
    const { connection, greetingMs } = await SmtpConnection.open(target.host, target.port);
    greetings.push(greetingMs);
    await connection.ehlo();
    return connection;
  };

  const recordFailure = (error: unknown) => {
    failed += 1;
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    errors.set(text, (errors.get(text) ?? 0) + 1);
  };

  const worker = async () => {
    let connection: SmtpConnection | null = null;
    for (let index = claim(); index !== null; index = claim()) {
      try {
        connection ??= await open();
        const to = workload.recipient(index);
        const sent = await connection.sendMessage(MAIL_FROM, [to], workload.message.render(index, to));
        latencies.push(sent.latencyMs);
        const id = workload.collectIds ? ID_IN_REPLY.exec(sent.reply.lines.join(" "))?.[1] : undefined;
        if (id !== undefined) ids.push(id);
        accepted += 1;
        if (!workload.reuseConnection) {
          connection.quit();
          connection = null;
        }
      } catch (error) {
        recordFailure(error);
        connection?.destroy();
        connection = null;
      }
    }
    connection?.quit();
  };

  await Promise.all(Array.from({ length: workload.connections }, worker));
  const durationMs = performance.now() - started;
  return {
    name: workload.name,
    connections: workload.connections,
    messageLabel: workload.message.label,
    messageBytes: workload.message.approximateSize,
    requested: workload.messages,
    accepted,
    failed,
    errors: [...errors].slice(0, 5).map(([text, count]) => `${count}× ${text}`),
    durationMs: Math.round(durationMs),
    cappedByTime,
    messagesPerSecond: Math.round((accepted / durationMs) * 1000 * 10) / 10,
    dataToOk: summarize(latencies),
    greeting: summarize(greetings),
    ids,
  };
}

/** Connect → 220 for `count` sequential connections, each closed with QUIT right after the greeting. */
export async function measureGreeting(target: Target, count: number): Promise<LatencySummary> {
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const { connection, greetingMs } = await SmtpConnection.open(target.host, target.port);
    samples.push(greetingMs);
    connection.quit();
  }
  return summarize(samples);
}
