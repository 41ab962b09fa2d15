import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { Mailnest } from "@mailnest/client";
import type { ResultRow } from "../report/result-row.js";
import { textMessage } from "../smtp/message-factory.js";
import type { SmtpConnection } from "../smtp/smtp-connection.js";
import { type LatencySummary, summarize } from "../stats.js";
import { type SectionContext, scaled } from "./section.js";

const NOISE = textMessage(1024, "Newsletter");
const TARGET = textMessage(1024, "Target");
/** The filter the waits use: a RegExp, which the server evaluates on RE2 since issue 11. */
const TARGET_SUBJECT = /^Target \d+$/;
/**
 * Arming looks at what the inbox already holds once (the earlier non-matching mail); what is timed
 * is the path a test waits on after its app sent: 250 → the armed wait resolves.
 */
const ARM_SETTLE_MS = 25;
const TIME_CAP_MS = 120_000;
/** `where` waits per backlog: each reads the whole backlog again, so a few show the cost. */
const WHERE_WAITS = 10;

/**
 * Issue 11's row: a RegExp-filtered wait, armed on an inbox that already holds 0, 2,000 or 10,000
 * earlier messages that do not match, then the matching one is sent. Before the filter ran on the
 * server, each earlier message cost the SDK one request; the target is flat.
 */
/**
 * A `where` wait (it runs only in the SDK) started on a handle whose window holds the whole
 * backlog: it pages through every earlier message and resolves with the first target. Timed from
 * the call; each wait's HTTP requests are counted (before issue 11's pages: one per message).
 */
async function timeWhereWaits(
  context: SectionContext,
  mail: Mailnest,
  address: string,
  since: number,
): Promise<{ summary: LatencySummary; requestsPerWait: number }> {
  const realFetch = globalThis.fetch;
  let requests = 0;
  globalThis.fetch = (...args: Parameters<typeof fetch>) => {
    requests += 1;
    return realFetch(...args);
  };
  const samples: number[] = [];
  try {
    const waits = scaled(context, WHERE_WAITS, 3);
    for (let i = 0; i < waits; i++) {
      const inbox = await mail.inbox(address, { since });
      const startedAt = performance.now();
      await inbox.waitForMessage(
        { where: (message) => message.subject.startsWith("Target") },
        { timeout: 30_000 },
      );
      samples.push(performance.now() - startedAt);
    }
  } finally {
    globalThis.fetch = realFetch;
  }
  // `mail.inbox(address, { since })` itself makes no request, so these are the waits' own.
  return { summary: summarize(samples), requestsPerWait: requests / samples.length };
}

export async function timeFilteredWaits(
  context: SectionContext,
  apiUrl: string,
  connection: SmtpConnection,
): Promise<{ rows: ResultRow[]; details: Record<string, LatencySummary> }> {
  const { Mailnest } = await import("@mailnest/client");
  const mail = new Mailnest({ url: apiUrl });
  const rows: ResultRow[] = [];
  const details: Record<string, LatencySummary> = {};
  const waits = scaled(context, 50, 10);
  for (const earlier of [0, 2000, 10_000]) {
    const noise = earlier === 0 ? 0 : scaled(context, earlier, 200);
    const inbox = await mail.createInbox({ prefix: `filtered-${earlier}` });
    const baseline = await mail.head();
    context.log(`wait: RegExp-filtered, ${noise} earlier non-matching messages, ${waits} waits`);
    for (let i = 0; i < noise; i++) {
      await connection.sendMessage("sender@bench.localhost", [inbox.address], NOISE.render(i, inbox.address));
    }
    const samples: number[] = [];
    const deadline = performance.now() + TIME_CAP_MS;
    for (let i = 0; i < waits && performance.now() < deadline; i++) {
      let resolvedAt = 0;
      const waiting = inbox.waitForMessage({ subject: TARGET_SUBJECT }, { timeout: 30_000 }).then(() => {
        resolvedAt = performance.now();
      });
      await sleep(ARM_SETTLE_MS);
      await connection.sendMessage(
        "sender@bench.localhost",
        [inbox.address],
        TARGET.render(i, inbox.address),
      );
      const okAt = performance.now();
      await waiting;
      samples.push(Math.max(0, resolvedAt - okAt));
    }
    const summary = summarize(samples);
    details[`earlier${earlier}`] = summary;
    const label = earlier === 0 ? "no" : earlier.toLocaleString("en-US");
    rows.push(
      {
        section: "wait",
        metric: `250 → RegExp-filtered wait resolved, ${label} earlier non-matching, p50`,
        value: summary.p50,
        unit: "ms",
        note: `${samples.length} waits; ${noise} earlier messages${noise === earlier ? "" : " (scaled)"}`,
        target: { op: "<", value: 20 },
      },
      {
        section: "wait",
        metric: `250 → RegExp-filtered wait resolved, ${label} earlier non-matching, p99`,
        value: summary.p99,
        unit: "ms",
        target: { op: "<", value: 50 },
      },
    );
    if (noise === 0) continue;
    context.log(`wait: where() through ${noise} earlier messages it rejects`);
    const where = await timeWhereWaits(context, mail, inbox.address, baseline);
    details[`where${earlier}`] = where.summary;
    rows.push({
      section: "wait",
      metric: `where() wait through ${label} earlier messages it rejects: call → resolved, p50 / p99`,
      value: where.summary.p50,
      unit: "ms",
      note: `p99 ${where.summary.p99.toFixed(1)} ms; ${where.requestsPerWait.toFixed(1)} requests per wait; ${where.summary.count} waits; ${noise} earlier messages${noise === earlier ? "" : " (scaled)"}`,
    });
  }
  return { rows, details };
}
