import { Readable } from "node:stream";
import {
  MAX_PENDING_REPORTS,
  MAX_RETURNED_HEADER_BYTES,
  MAX_RETURNED_MESSAGE_BYTES,
  normalizeAddress,
  type PendingReport,
  type SimulatorInfo,
} from "@mailnest/protocol";
import type { MailnestConfig } from "../config.js";
import type { DsnRequest, EventBus } from "../events/bus.js";
import type { RetryPolicy } from "../outbox/retry-policy.js";
import type { SharedOutboxes } from "../outbox/shared-outboxes.js";
import type { RelayClient } from "../relay/relay-client.js";
import type { RelayTarget } from "../relay/relay-target.js";
import type { MessageStore } from "../store/message-store.js";
import type { StoredMessage } from "../store/model.js";
import { buildArf } from "./build-arf.js";
import { buildAutoReply } from "./build-auto-reply.js";
import { buildDsn } from "./build-dsn.js";
import { type ReturnedContent, readHeaderBlock, readWhole } from "./original-message.js";
import { type AcceptedMessage, type PlannedReport, planReports, type ReportRequest } from "./plan-reports.js";
import { ReportForwarder } from "./report-forwarder.js";
import { bracketed, buildGeneratedMessage, type GeneratedMessage } from "./report-mime.js";
import type { ReportLogEntry } from "./report-rule.js";
import { type ReportRuleStore, ReportRules } from "./report-rules.js";
import { ReportScheduler } from "./report-scheduler.js";
import { SharedReportRules } from "./shared-report-rules.js";
import { SIMULATOR, simulatorInfo, simulatorMailbox } from "./simulator.js";

/** What the reports read of the configuration. */
export type ReportsConfig = Pick<MailnestConfig, "domain" | "maxMessageSize" | "dataDir"> & {
  simulator: { enabled: boolean; prefix: string };
  /** `--report-relay`: reports are also sent on over SMTP to this server; null = stored only. */
  reportRelay: RelayTarget | null;
};

export interface ReportEngineOptions {
  config: ReportsConfig;
  store: MessageStore;
  bus: EventBus;
  random?: () => number;
  /**
   * Keep the API's report rules and the log in these shared journals (PostgreSQL, docs/scaling.md
   * "Report rules") instead of `<dataDir>/reports.json`.
   */
  shared?: SharedOutboxes | null;
  /** For the forwarder's tests: its retry policy and SMTP client. */
  relayRetry?: Partial<RetryPolicy>;
  relayClient?: RelayClient;
}

/** What a pending report keeps until its time comes. */
interface ReportJob {
  report: PlannedReport;
  message: AcceptedMessage & { receivedAt: string; remoteAddress: string; references: string[] };
  dsn: DsnRequest;
  /** The original's header block, read when the message arrived (the message may be gone later). */
  header: Buffer;
}

/** Header blocks held by waiting reports, at most (64 KiB each at most). */
const MAX_PENDING_HEADER_BYTES = 64 * 1024 * 1024;

/**
 * Reports after acceptance (docs/after-acceptance.md). Listens for mail the SMTP listener stored
 * (`smtp.stored`), asks the rules and the simulator addresses what reports it gets, and makes them
 * at their time: a DSN, a complaint or an auto-reply built as a message and stored through the
 * store's `ingest`, exactly like mail that came over SMTP (so waits, events, inboxes, POP3/IMAP and
 * webhooks see it), then optionally sent on over SMTP. Every report made or skipped is logged.
 */
export class ReportEngine {
  readonly rules: ReportRuleStore;
  readonly #config: ReportsConfig;
  readonly #store: MessageStore;
  readonly #forwarder: ReportForwarder | null;
  readonly #scheduler: ReportScheduler<ReportJob>;
  readonly #unsubscribe: () => void;
  /** Messages whose reports are being decided (reading the store), awaited by `close`. */
  readonly #deciding = new Set<Promise<void>>();
  #pendingHeaderBytes = 0;

  private constructor(
    options: ReportEngineOptions,
    rules: ReportRuleStore,
    forwarder: ReportForwarder | null,
  ) {
    this.rules = rules;
    this.#config = options.config;
    this.#store = options.store;
    this.#forwarder = forwarder;
    this.#scheduler = new ReportScheduler({
      max: MAX_PENDING_REPORTS,
      run: async (job) => {
        this.#pendingHeaderBytes -= job.header.length;
        await this.#make(job);
      },
    });
    this.#unsubscribe = options.bus.on("smtp.stored", ({ id, dsn }) => {
      const deciding = this.#decide(id, dsn).catch((error: unknown) => {
        console.error(`mailnest: could not decide the reports for message ${id}:`, error);
      });
      this.#deciding.add(deciding);
      void deciding.finally(() => this.#deciding.delete(deciding));
    });
  }

  /** Opens the rules (and the forwarder's queue) and starts listening. Open before SMTP starts. */
  static async open(options: ReportEngineOptions): Promise<ReportEngine> {
    const { config } = options;
    const random = options.random === undefined ? {} : { random: options.random };
    const rules = options.shared
      ? await SharedReportRules.open(options.shared, random)
      : await ReportRules.open({ dataDir: config.dataDir, ...random });
    let engine: ReportEngine | null = null;
    const forwarder =
      config.reportRelay === null
        ? null
        : await ReportForwarder.open({
            dataDir: config.dataDir,
            target: config.reportRelay,
            domain: config.domain,
            store: options.store,
            onChange: (sequence, forward) => engine?.rules.updateForward(sequence, forward),
            ...(options.relayRetry === undefined ? {} : { retry: options.relayRetry }),
            ...(options.relayClient === undefined ? {} : { client: options.relayClient }),
          });
    engine = new ReportEngine(options, rules, forwarder);
    return engine;
  }

  simulator(): SimulatorInfo {
    return simulatorInfo(this.#config.simulator);
  }

  /** Reports waiting for their time, soonest first. */
  pending(): PendingReport[] {
    return this.#scheduler.pending().map(({ dueAt, job }) => ({
      dueAt: new Date(dueAt).toISOString(),
      kind: job.report.request.kind,
      action: job.report.action,
      ruleId: job.report.request.ruleId,
      simulator: job.report.request.simulator,
      original: reported(
        job.message,
        job.report.recipients.map((recipient) => recipient.address),
      ),
    }));
  }

  /** Drops every waiting report. Returns how many. */
  cancelPending(): number {
    const dropped = this.#scheduler.cancelAll();
    this.#pendingHeaderBytes = 0;
    return dropped;
  }

  /** Stops listening, drops waiting reports, lets those being made finish, closes the queue. */
  async close(): Promise<void> {
    this.#unsubscribe();
    await Promise.all(this.#deciding);
    await this.#scheduler.close();
    await this.#forwarder?.close();
    await this.rules.flushed();
  }

  async #decide(id: string, dsn: DsnRequest): Promise<void> {
    // Rules and simulator addresses choose by the envelope alone, which the summary in memory has:
    // most mail gets no report, and reading each message whole only to learn that was about 2 % of
    // the event loop at 16 connections. A summary not yet in this instance's view (PostgreSQL)
    // means reading the message first, as before.
    const summary = this.#store.summary(id);
    let stored = summary === null ? await this.#store.get(id) : null;
    const envelope = summary ?? stored?.envelope;
    if (envelope === undefined) return;
    const requests = [...this.#simulatorRequests(envelope), ...this.rules.select(envelope)];
    if (requests.length === 0) return;
    stored ??= await this.#store.get(id);
    if (stored === null) return;
    const message = acceptedMessage(stored);

    const { planned, skipped } = planReports(message, dsn, requests);
    for (const report of skipped) {
      await this.#log(message, report.request, {
        action: report.action,
        status: report.status,
        recipients: report.recipients,
        to: report.to,
        outcome: "skipped",
        note: report.note,
      });
    }
    if (planned.length === 0) return;
    // A rule used up meanwhile (by another message, or instance) makes no report for this one.
    const refused = new Set<string>();
    for (const ruleId of new Set(planned.map((report) => report.request.ruleId))) {
      if (ruleId !== null && !(await this.rules.take(ruleId))) refused.add(ruleId);
    }
    const made = planned.filter(
      (report) => report.request.ruleId === null || !refused.has(report.request.ruleId),
    );
    if (made.length === 0) return;
    const raw = await this.#store.readRaw(id);
    const header = raw === null ? Buffer.alloc(0) : await readHeaderBlock(raw);
    for (const report of made) {
      const job: ReportJob = { report, message, dsn, header };
      const fits = this.#pendingHeaderBytes + header.length <= MAX_PENDING_HEADER_BYTES;
      if (fits && this.#scheduler.schedule(report.delayMs, job)) {
        this.#pendingHeaderBytes += header.length;
        continue;
      }
      await this.#log(message, report.request, {
        action: report.action,
        status: report.recipients[0]?.status || null,
        recipients: report.recipients.map((recipient) => recipient.address),
        to: report.to,
        outcome: "skipped",
        note: `too many reports are waiting (at most ${MAX_PENDING_REPORTS})`,
      });
    }
  }

  #simulatorRequests(envelope: { rcptTo: readonly string[] }): ReportRequest[] {
    const requests: ReportRequest[] = [];
    for (const recipient of envelope.rcptTo) {
      const name = simulatorMailbox(recipient, this.#config.simulator);
      if (name === null) continue;
      const { kind, status, diagnostic } = SIMULATOR[name];
      const existing = requests.find((request) => request.simulator === name);
      if (existing) {
        if (!existing.recipients.some((other) => normalizeAddress(other) === normalizeAddress(recipient))) {
          existing.recipients.push(recipient);
        }
        continue;
      }
      requests.push({
        ruleId: null,
        simulator: name,
        kind,
        recipients: [recipient],
        settings: {
          delayMs: 0,
          status,
          diagnostic,
          failAfterMs: null,
          failStatus: null,
          feedbackType: kind === "complaint" ? "abuse" : null,
          reportTo: null,
          subject: null,
          text: null,
          returnContent: null,
        },
      });
    }
    return requests;
  }

  /** Builds a report, stores it like mail received over SMTP, logs it and hands it to the forwarder. */
  async #make(job: ReportJob): Promise<void> {
    const { report, message } = job;
    const recipients = report.recipients.map((recipient) => recipient.address);
    const status = report.action === null ? null : (report.recipients[0]?.status ?? null);
    try {
      const maxSize = this.#config.maxMessageSize;
      let returned = await this.#returned(job);
      let built = await buildGeneratedMessage(this.#compose(job, returned, new Date()));
      if (built.raw.length > maxSize && returned.kind === "full") {
        // Never a report larger than the server takes: the original goes back to its header.
        returned = {
          kind: "headers",
          header: job.header,
          reason: `the whole message would make the report larger than ${maxSize} bytes`,
        };
        built = await buildGeneratedMessage(this.#compose(job, returned, new Date()));
      }
      const stored = await this.#store.ingest(Readable.from([built.raw]), this.#envelope(report.to), {
        maxSize,
      });
      const entry = await this.#log(message, report.request, {
        action: report.action,
        status,
        recipients,
        to: report.to,
        outcome: "sent",
        note: returned.kind === "headers" ? returned.reason : null,
        report: { id: stored.id, messageId: bracketed(built.messageId) },
      });
      if (this.#forwarder) {
        const forward = await this.#forwarder.enqueue(stored.id, report.to, entry.sequence);
        this.rules.updateForward(entry.sequence, forward);
      }
    } catch (error) {
      await this.#log(message, report.request, {
        action: report.action,
        status,
        recipients,
        to: report.to,
        outcome: "skipped",
        note: `could not make the report: ${error instanceof Error ? error.message : String(error)}`,
      }).catch((logError: unknown) => {
        console.error("mailnest: could not log a report that failed:", error, logError);
      });
    }
  }

  /** What the report carries of the original: its header, or the whole message when asked and possible. */
  async #returned(job: ReportJob): Promise<ReturnedContent> {
    const { kind, settings } = job.report.request;
    const full =
      settings.returnContent === "full" ||
      (settings.returnContent === null &&
        (kind === "complaint" || (kind !== "auto-reply" && job.dsn.ret === "FULL")));
    if (!full) return { kind: "headers", header: job.header, reason: null };
    const limit = Math.min(
      MAX_RETURNED_MESSAGE_BYTES,
      this.#config.maxMessageSize - MAX_RETURNED_HEADER_BYTES,
    );
    const raw = await this.#store.readRaw(job.message.id);
    if (raw === null) {
      return {
        kind: "headers",
        header: job.header,
        reason: "the message was deleted before the report was made",
      };
    }
    const whole = await readWhole(raw, Math.max(limit, 0));
    return whole === null
      ? { kind: "headers", header: job.header, reason: `the message is larger than ${limit} bytes` }
      : { kind: "full", raw: whole };
  }

  #compose(job: ReportJob, returned: ReturnedContent, now: Date): GeneratedMessage {
    const { report, message, dsn } = job;
    const { request } = report;
    const origin = request.ruleId === null ? `simulator=${request.simulator}` : `rule=${request.ruleId}`;
    const domain = this.#config.domain;
    const receivedAt = new Date(message.receivedAt);
    if (report.action !== null) {
      return buildDsn({
        domain,
        action: report.action,
        to: report.to,
        original: { messageId: message.messageId, subject: message.subject, receivedAt, envid: dsn.envid },
        recipients: report.recipients,
        returned,
        willRetryUntil:
          report.action === "delayed"
            ? new Date(receivedAt.getTime() + (report.failsAtMs ?? 5 * 24 * 60 * 60 * 1000))
            : null,
        origin,
        originalId: message.id,
        now,
      });
    }
    const recipient = report.recipients[0]?.address ?? "";
    if (request.kind === "complaint") {
      return buildArf({
        domain,
        feedbackType: request.settings.feedbackType ?? "abuse",
        to: report.to,
        recipient,
        original: {
          mailFrom: message.mailFrom,
          messageId: message.messageId,
          subject: message.subject,
          receivedAt,
          remoteAddress: message.remoteAddress,
          envid: dsn.envid,
        },
        returned,
        origin,
        originalId: message.id,
        now,
      });
    }
    return buildAutoReply({
      domain,
      from: recipient,
      to: report.to,
      original: { messageId: message.messageId, subject: message.subject, references: message.references },
      subject: request.settings.subject,
      text: request.settings.text,
      origin,
      originalId: message.id,
      now,
    });
  }

  /** A report's envelope: the null sender (RFC 3464 section 2, RFC 3834 section 3.3), its one recipient. */
  #envelope(to: string) {
    return {
      mailFrom: "",
      rcptTo: [to],
      remoteAddress: "127.0.0.1",
      heloName: this.#config.domain,
      authUser: null,
      tls: null,
    };
  }

  #log(
    message: ReportJob["message"],
    request: ReportRequest,
    fields: Pick<ReportLogEntry, "action" | "status" | "to" | "outcome" | "note"> & {
      recipients: string[];
      report?: ReportLogEntry["report"];
    },
  ): Promise<ReportLogEntry> {
    return this.rules.append({
      ruleId: request.ruleId,
      simulator: request.simulator,
      kind: request.kind,
      action: fields.action,
      status: fields.status,
      outcome: fields.outcome,
      note: fields.note,
      original: reported(message, fields.recipients),
      to: fields.to,
      report: fields.report ?? null,
      forward: null,
    });
  }
}

function acceptedMessage(stored: StoredMessage): ReportJob["message"] {
  const references = stored.headers
    .filter((line) => line.name.toLowerCase() === "references")
    .flatMap((line) => line.value.match(/<[^<>\s]+>/g) ?? []);
  return {
    id: stored.id,
    mailFrom: stored.envelope.mailFrom,
    rcptTo: stored.envelope.rcptTo,
    messageId: stored.messageId,
    subject: stored.subject,
    headers: stored.headers,
    receivedAt: stored.envelope.receivedAt,
    remoteAddress: stored.envelope.remoteAddress,
    references,
  };
}

function reported(message: AcceptedMessage, recipients: string[]) {
  return {
    id: message.id,
    messageId: message.messageId,
    mailFrom: message.mailFrom,
    recipients: [...new Set(recipients.map(normalizeAddress))],
  };
}
