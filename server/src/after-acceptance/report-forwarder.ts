import path from "node:path";
import { MAX_RETURNED_MESSAGE_BYTES } from "@mailnest/protocol";
import { type Job, Outbox } from "../outbox/outbox.js";
import type { RetryPolicy } from "../outbox/retry-policy.js";
import { createRelayClient, type RelayClient } from "../relay/relay-client.js";
import type { RelayTarget } from "../relay/relay-target.js";
import type { MessageStore } from "../store/message-store.js";
import { readWhole } from "./original-message.js";
import type { ReportForward } from "./report-rule.js";

interface ForwardPayload {
  /** The stored report's Mailnest id. */
  reportId: string;
  /** Its envelope recipient. */
  to: string;
  /** Its report log entry. */
  sequence: number;
}

export interface ReportForwarderOptions {
  /** `<dataDir>/outbox/reports.journal`; null = memory only. */
  dataDir: string | null;
  /** `--report-relay`: the app's own inbound endpoint, e.g. smtp://127.0.0.1:2525?starttls=off. */
  target: RelayTarget;
  /** EHLO name. */
  domain: string;
  store: Pick<MessageStore, "readRaw">;
  /** Every change of a delivery, for the report log. */
  onChange: (sequence: number, forward: ReportForward) => void;
  retry?: Partial<RetryPolicy>;
  /** For tests: the SMTP client (nodemailer's transport otherwise). */
  client?: RelayClient;
}

const LANE = "reports";
/** Reports are small (a report carries at most a megabyte of its original) and the queue keeps their order. */
const MAX_FORWARDED_BYTES = MAX_RETURNED_MESSAGE_BYTES + 256 * 1024;

/**
 * Sends each generated report on over SMTP (`--report-relay`), with the null sender `<>` as MAIL
 * FROM, like a real mail system's reports. Deliveries go through the durable outbox in one lane,
 * in order: a failure is retried with backoff, every attempt is logged, and a report is never lost
 * silently. A report can never cause another: it has the null sender, and nothing is reported
 * about null-sender mail.
 */
export class ReportForwarder {
  readonly #outbox: Outbox<ForwardPayload, null>;
  readonly #client: RelayClient;

  private constructor(outbox: Outbox<ForwardPayload, null>, client: RelayClient) {
    this.#outbox = outbox;
    this.#client = client;
  }

  static async open(options: ReportForwarderOptions): Promise<ReportForwarder> {
    const client = options.client ?? createRelayClient(options.target, options.domain);
    const outbox: Outbox<ForwardPayload, null> = await Outbox.open({
      file: options.dataDir === null ? null : path.join(options.dataDir, "outbox", "reports.journal"),
      jobIdPrefix: "fw",
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      perform: async (job) => {
        const raw = await options.store.readRaw(job.payload.reportId);
        const bytes = raw === null ? null : await readWhole(raw, MAX_FORWARDED_BYTES);
        if (bytes === null) {
          return {
            ok: false,
            status: null,
            error: "the report is no longer stored (deleted before it was sent)",
            permanent: true,
          };
        }
        return client.send({ from: "", to: [job.payload.to] }, bytes);
      },
    });
    outbox.onChange((job) => options.onChange(job.payload.sequence, forwardOf(job)));
    if (outbox.lane(LANE) === null) await outbox.putLane(LANE, null, { paused: false, concurrency: 1 });
    outbox.start();
    return new ReportForwarder(outbox, client);
  }

  /** Queues a stored report; resolves with the delivery once it is durable. */
  async enqueue(reportId: string, to: string, sequence: number): Promise<ReportForward> {
    return forwardOf(await this.#outbox.enqueue(LANE, { reportId, to, sequence }));
  }

  async close(): Promise<void> {
    await this.#outbox.close();
    this.#client.close();
  }
}

function forwardOf(job: Readonly<Job<ForwardPayload>>): ReportForward {
  const last = job.attempts.at(-1);
  return {
    deliveryId: job.id,
    state: job.state,
    attempts: job.attemptCount,
    lastError: job.state === "delivered" ? null : (last?.error ?? job.deadReason ?? null),
  };
}
