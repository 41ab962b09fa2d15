/**
 * The SDK's side of reports after acceptance (docs/after-acceptance.md): the options its methods
 * take, and the protocol's rule, log entry and pending report with their dates as `Date`s.
 */
import type {
  FeedbackType,
  ReportKind,
  ReturnContent,
  SimulatorInfo,
  SimulatorMailbox,
  PendingReport as WirePendingReport,
  ReportLogEntry as WireReportLogEntry,
  ReportRule as WireReportRule,
} from "@mailnest/protocol";

export type {
  FeedbackType,
  ReportKind,
  ReturnContent,
  SimulatorInfo,
  SimulatorMailbox,
  WirePendingReport,
  WireReportLogEntry,
  WireReportRule,
};

/** What every report rule takes. */
export interface ReportTiming {
  /** Only mail with this envelope sender (MAIL FROM). */
  from?: string;
  /** Report this many messages, then stop. @default 1, or no limit when `probability` is given */
  times?: number;
  /** Chance (0–1) that each matching message gets a report. @default 1 */
  probability?: number;
  /** Milliseconds between the 250 and the report. @default 0 */
  delay?: number;
}

/** `inbox.bounceNext()`: a DSN with `Action: failed`. */
export interface BounceOptions extends ReportTiming {
  /** `Status`, 5.x.x. @default "5.1.1" */
  status?: string;
  /** `Diagnostic-Code` text after `smtp; `, e.g. "550 5.1.1 User unknown". */
  diagnostic?: string;
  /** What of the original the DSN carries. @default the sender's RET=, else "headers" */
  returnContent?: ReturnContent;
}

/** `inbox.delayNext()`: a DSN with `Action: delayed`, optionally followed by a `failed` one. */
export interface DelayOptions extends ReportTiming {
  /** `Status`, 4.x.x. @default "4.4.7" */
  status?: string;
  diagnostic?: string;
  /** Milliseconds after the delayed DSN when a failed one follows; none when left out. */
  failAfter?: number;
  /** `Status` of the failed DSN. @default "5.4.7" */
  failStatus?: string;
  returnContent?: ReturnContent;
}

/** `inbox.complainNext()`: an ARF complaint. */
export interface ComplaintOptions extends ReportTiming {
  /** @default "abuse" */
  feedbackType?: FeedbackType;
  /** Send the report here (a feedback-loop address) instead of to the envelope sender. */
  reportTo?: string;
  /** @default "full" */
  returnContent?: ReturnContent;
}

/** `inbox.autoReply()`: an out-of-office reply. Without `times`, it answers every message. */
export interface AutoReplyOptions extends ReportTiming {
  /** @default "Auto: " and the original subject */
  subject?: string;
  text?: string;
}

/** What `mail.reports.add()` takes: one of the above with its `kind`, and optionally an inbox. */
export type ReportRuleOptions = (
  | ({ kind: "bounce" } & BounceOptions)
  | ({ kind: "delay" } & DelayOptions)
  | ({ kind: "complaint" } & ComplaintOptions)
  | ({ kind: "auto-reply" } & AutoReplyOptions)
) & {
  /** Only mail to this recipient; every recipient when left out. */
  inbox?: string;
};

/** A rule as the server keeps it, `createdAt` as a `Date`. */
export type ReportRule = Omit<WireReportRule, "createdAt"> & { createdAt: Date };
/** One report made or skipped, `at` as a `Date`. */
export type ReportLogEntry = Omit<WireReportLogEntry, "at"> & { at: Date };
/** A report waiting for its time, `dueAt` as a `Date`. */
export type PendingReport = Omit<WirePendingReport, "dueAt"> & { dueAt: Date };

export function toReportRule(wire: WireReportRule): ReportRule {
  return { ...wire, createdAt: new Date(wire.createdAt) };
}

export function toReportLogEntry(wire: WireReportLogEntry): ReportLogEntry {
  return { ...wire, at: new Date(wire.at) };
}

export function toPendingReport(wire: WirePendingReport): PendingReport {
  return { ...wire, dueAt: new Date(wire.dueAt) };
}
