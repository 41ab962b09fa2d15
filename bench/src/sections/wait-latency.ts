import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { textMessage } from "../smtp/message-factory.js";
import { SmtpConnection } from "../smtp/smtp-connection.js";
import { summarize } from "../stats.js";
import { timeFilteredWaits } from "./filtered-wait.js";
import { type SectionContext, type SectionResult, scaled, withServer } from "./section.js";

const MESSAGE = textMessage(2 * 1024);
const TIME_CAP_MS = 90_000;
/** Lets the armed wait's request reach the server, so what is timed is the wake-up path. */
const ARM_SETTLE_MS = 1;

export interface WaitRun {
  /** 250 seen by the sender → wait resolved in the test, ms (clamped at 0). */
  samples: number[];
  /** Waits that resolved before the sender even read its 250 (the store announced first). */
  resolvedBefore250: number;
}

/**
 * The latency a test sees: the app's mail got its 250, how long until `waitForMessage` resolves?
 * Measured with the SDK (arm with `nextMessage()`, then send) and with a bare long-poll for contrast.
 */
export async function runWaitLatency(context: SectionContext): Promise<SectionResult> {
  const count = scaled(context, 500, 50);
  context.log(`wait: ${count} sequential messages, SDK nextMessage() and bare long-poll`);
  const { sdk, longPoll, filtered } = await withServer(await context.startMailnest(), async (server) => {
    const apiUrl = server.apiUrl ?? "";
    const { connection } = await SmtpConnection.open(server.smtp.host, server.smtp.port);
    await connection.ehlo();
    try {
      return {
        sdk: await timeSdkWaits(apiUrl, connection, count),
        longPoll: await timeLongPolls(apiUrl, connection, count),
        filtered: await timeFilteredWaits(context, apiUrl, connection),
      };
    } finally {
      connection.quit();
    }
  });
  const sdkSummary = summarize(sdk.samples);
  const longPollSummary = summarize(longPoll.samples);
  const note = (run: WaitRun) =>
    `${run.samples.length} messages${run.resolvedBefore250 ? `, ${run.resolvedBefore250} resolved before the 250` : ""}`;
  return {
    rows: [
      {
        section: "wait",
        metric: "250 → SDK wait resolved, p50",
        value: sdkSummary.p50,
        unit: "ms",
        note: note(sdk),
        target: { op: "<", value: 2 },
      },
      {
        section: "wait",
        metric: "250 → SDK wait resolved, p99",
        value: sdkSummary.p99,
        unit: "ms",
        target: { op: "<", value: 10 },
      },
      {
        section: "wait",
        metric: "250 → bare long-poll answered, p50 / p99",
        value: longPollSummary.p50,
        unit: "ms",
        note: `p99 ${longPollSummary.p99.toFixed(2)} ms; ${note(longPoll)}`,
      },
      ...filtered.rows,
    ],
    details: {
      sdk: { ...sdkSummary, resolvedBefore250: sdk.resolvedBefore250 },
      longPoll: { ...longPollSummary, resolvedBefore250: longPoll.resolvedBefore250 },
      filtered: filtered.details,
    },
  };
}

async function timeOne(
  connection: SmtpConnection,
  to: string,
  index: number,
  waiting: Promise<unknown>,
  run: WaitRun,
): Promise<void> {
  let resolvedAt: number | null = null;
  const settled = waiting.then(() => {
    resolvedAt = performance.now();
  });
  await sleep(ARM_SETTLE_MS);
  await connection.sendMessage("sender@bench.localhost", [to], MESSAGE.render(index, to));
  const okAt = performance.now();
  await settled;
  const latency = (resolvedAt ?? performance.now()) - okAt;
  if (latency < 0) run.resolvedBefore250 += 1;
  run.samples.push(Math.max(0, latency));
}

/** `count` messages sent on `connection`, each awaited with the SDK's `nextMessage()` on `apiUrl`. */
export async function timeSdkWaits(
  apiUrl: string,
  connection: SmtpConnection,
  count: number,
): Promise<WaitRun> {
  // Loaded here, not at the top: a broken SDK build then fails this section only, not the suite.
  const { Mailnest } = await import("@mailnest/client");
  const mail = new Mailnest({ url: apiUrl });
  const inbox = await mail.createInbox();
  const run: WaitRun = { samples: [], resolvedBefore250: 0 };
  const deadline = performance.now() + TIME_CAP_MS;
  for (let i = 0; i < count && performance.now() < deadline; i += 1) {
    await timeOne(connection, inbox.address, i, inbox.nextMessage(), run);
  }
  return run;
}

/** The same with a bare long-poll (`/wait?since=`) on `apiUrl`. */
export async function timeLongPolls(
  apiUrl: string,
  connection: SmtpConnection,
  count: number,
): Promise<WaitRun> {
  const to = "longpoll@mailnest.test";
  const run: WaitRun = { samples: [], resolvedBefore250: 0 };
  let since = ((await (await fetch(`${apiUrl}/api/health`)).json()) as { head: number }).head;
  const deadline = performance.now() + TIME_CAP_MS;
  for (let i = 0; i < count && performance.now() < deadline; i += 1) {
    const waiting = fetch(`${apiUrl}/api/inboxes/${encodeURIComponent(to)}/wait?since=${since}&timeout=10000`)
      .then((response) => response.json() as Promise<{ head: number }>)
      .then((body) => {
        since = body.head;
      });
    await timeOne(connection, to, i, waiting, run);
  }
  return run;
}
