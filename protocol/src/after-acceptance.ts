/**
 * What happens after the 250 (docs/after-acceptance.md): delivery status notifications (RFC 3464),
 * complaints (ARF, RFC 5965) and auto-replies (RFC 3834) that Mailnest generates for accepted mail,
 * by rule or for the built-in simulator addresses, and stores like any other message.
 */
import type { DeliveryState } from "./integrations.js";

/**
 * - `bounce`: a DSN with `Action: failed` (default `Status: 5.1.1`);
 * - `delay`: a DSN with `Action: delayed` (default 4.4.7), optionally followed by a `failed` one;
 * - `complaint`: an ARF feedback report, as a mailbox provider sends when a recipient clicks "spam";
 * - `auto-reply`: an out-of-office reply from the recipient.
 */
export const REPORT_KINDS = ["bounce", "delay", "complaint", "auto-reply"] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** `Feedback-Type` of a complaint (RFC 5965 section 7.3, `not-spam` from RFC 6430). */
export const FEEDBACK_TYPES = ["abuse", "fraud", "virus", "other", "not-spam"] as const;
export type FeedbackType = (typeof FEEDBACK_TYPES)[number];

/** How much of the original a report carries: its header only, or the whole message. */
export const RETURN_CONTENT = ["headers", "full"] as const;
export type ReturnContent = (typeof RETURN_CONTENT)[number];

/**
 * The built-in addresses (local part, after the configured prefix, on any domain; a `+tag` is
 * allowed): `bounce` (failed, 5.1.1), `suppressed` (failed, 5.7.1: on a suppression list),
 * `delayed` (delayed, 4.4.7), `complaint` (an abuse report), `ooto` (an out-of-office reply).
 */
export const SIMULATOR_MAILBOXES = ["bounce", "suppressed", "delayed", "complaint", "ooto"] as const;
export type SimulatorMailbox = (typeof SIMULATOR_MAILBOXES)[number];

/**
 * The header field every message Mailnest generates after acceptance carries, e.g.
 * `X-Mailnest-Report: bounce; rule=rpt_…; original=<Mailnest id>` or `auto-reply; simulator=ooto; …`:
 * how the viewer and a test tell a generated report from mail an app sent.
 */
export const GENERATED_REPORT_HEADER = "X-Mailnest-Report";

/** `rpt_` + 12 random characters. */
export const REPORT_RULE_ID_PATTERN = /^rpt_[a-z0-9]{12}$/;
/** Longest wait between the 250 and a report (and between a `delay` report and its `failed` one): a day. */
export const MAX_REPORT_DELAY_MS = 24 * 60 * 60 * 1000;
/** Reports scheduled and not yet made; more are logged as skipped. */
export const MAX_PENDING_REPORTS = 10_000;
/** The report log keeps this many entries, oldest dropped first. */
export const MAX_REPORT_LOG_ENTRIES = 1000;
/** Longest `diagnostic`, `subject`. */
export const MAX_REPORT_LINE_LENGTH = 200;
/** Longest auto-reply `text`. */
export const MAX_REPORT_TEXT_LENGTH = 10_000;
/**
 * A report carries the whole original only up to this size (and never beyond the server's
 * `--max-message-size`); a larger original is returned as its header, which says so.
 */
export const MAX_RETURNED_MESSAGE_BYTES = 1024 * 1024;
/** The original's header block carried by a report is cut (at a line) after this many bytes. */
export const MAX_RETURNED_HEADER_BYTES = 64 * 1024;

/** `POST /api/reports` and `POST /api/inboxes/{address}/reports`. */
export interface ReportRuleRequest {
  kind: ReportKind;
  /** Only mail to this recipient. Set by the inbox route itself. */
  inbox?: string;
  /** Same as `inbox`. */
  to?: string;
  /** Only mail with this envelope sender (MAIL FROM). */
  from?: string;
  /**
   * Report this many messages, then stop. Default 1, or no limit when `probability` is given.
   * @minimum 1
   */
  times?: number;
  /**
   * Chance (0–1) that each matching message gets a report.
   * @minimum 0
   * @maximum 1
   * @default 1
   */
  probability?: number;
  /**
   * How long after the 250 the report is made, in ms.
   * @minimum 0
   * @maximum 86400000
   * @default 0
   */
  delayMs?: number;
  /**
   * DSN `Status` (RFC 3463): 5.x.x for `bounce` (default 5.1.1), 4.x.x for `delay` (default 4.4.7).
   * @pattern ^[245]\.[0-9]{1,3}\.[0-9]{1,3}$
   */
  status?: string;
  /**
   * DSN `Diagnostic-Code` text after `smtp; `, e.g. "550 5.1.1 User unknown"; the default names the status.
   * @maxLength 200
   */
  diagnostic?: string;
  /**
   * `delay` only: a `failed` DSN follows this long after the `delayed` one.
   * @minimum 0
   * @maximum 86400000
   */
  failAfterMs?: number;
  /**
   * `delay` only: the `Status` of the `failed` DSN that follows. @default "5.4.7"
   * @pattern ^5\.[0-9]{1,3}\.[0-9]{1,3}$
   */
  failStatus?: string;
  /** `complaint` only. @default "abuse" */
  feedbackType?: FeedbackType;
  /** `complaint` only: send the report here (a feedback-loop address) instead of to the envelope sender. */
  reportTo?: string;
  /**
   * `auto-reply` only: the subject; default "Auto: " and the original subject.
   * @maxLength 200
   */
  subject?: string;
  /**
   * `auto-reply` only: the body text.
   * @maxLength 10000
   */
  text?: string;
  /**
   * `bounce`, `delay`, `complaint`: what of the original the report carries. Default: a DSN follows
   * the sender's `RET=` (FULL or HDRS; headers when absent), a complaint carries the full message.
   */
  returnContent?: ReturnContent;
}

/** A rule as the server keeps it; fields that do not apply to its kind are null. */
export interface ReportRule {
  /** @pattern ^rpt_[a-z0-9]{12}$ */
  id: string;
  kind: ReportKind;
  /** Only mail to this (normalized) recipient; null = every recipient. */
  inbox: string | null;
  /** Only mail from this (normalized) envelope sender; null = any. */
  from: string | null;
  times: number | null;
  /** Reports left before the rule is used up (and removed); null = no limit. */
  remaining: number | null;
  /**
   * @minimum 0
   * @maximum 1
   */
  probability: number;
  /** @minimum 0 */
  triggered: number;
  /** `cli` rules come from `--report` and are not saved: the flag adds them again on each start. */
  origin: "api" | "cli";
  /** @format date-time */
  createdAt: string;
  /** @minimum 0 */
  delayMs: number;
  status: string | null;
  diagnostic: string | null;
  failAfterMs: number | null;
  failStatus: string | null;
  feedbackType: FeedbackType | null;
  reportTo: string | null;
  subject: string | null;
  text: string | null;
  /** null: the default of the kind (see `ReportRuleRequest.returnContent`). */
  returnContent: ReturnContent | null;
}

export interface ReportRuleList {
  rules: ReportRule[];
}

/** The accepted message a report is about. */
export interface ReportedMessage {
  /** Its id in Mailnest. */
  id: string;
  /** Its `Message-ID` header, or null. */
  messageId: string | null;
  /** Its envelope sender ("" for `<>`). */
  mailFrom: string;
  /** The (normalized) recipients the report is about. */
  recipients: string[];
}

/** Onward delivery of a report over SMTP (`--report-relay`). */
export interface ReportForward {
  /** The outbox delivery id. */
  deliveryId: string;
  state: DeliveryState;
  /** @minimum 0 */
  attempts: number;
  /** The last attempt's error, or null. */
  lastError: string | null;
}

/** One report made (or not made, and why), as the report log lists it. */
export interface ReportLogEntry {
  /**
   * Monotonic, never reused.
   * @minimum 1
   */
  sequence: number;
  /** @format date-time */
  at: string;
  /** The rule that asked for it; null for a simulator address. */
  ruleId: string | null;
  /** The simulator address that asked for it; null for a rule. */
  simulator: SimulatorMailbox | null;
  kind: ReportKind;
  /** DSN `Action` (`failed` or `delayed`); null for complaints and auto-replies. */
  action: "failed" | "delayed" | null;
  /** DSN `Status`; null for complaints and auto-replies. */
  status: string | null;
  /** `sent`: made and stored (and forwarded, see `forward`); `skipped`: not made, `note` says why. */
  outcome: "sent" | "skipped";
  note: string | null;
  original: ReportedMessage;
  /** Where the report went (its envelope recipient); null when skipped before one was known. */
  to: string | null;
  /** The stored report: its Mailnest id and `Message-ID`; null when skipped. */
  report: { id: string; messageId: string } | null;
  /** null unless `--report-relay` is set. */
  forward: ReportForward | null;
}

export interface ReportLog {
  /** Oldest first. */
  entries: ReportLogEntry[];
}

/** A report scheduled for later (a `delayMs`, or the `failed` DSN after a `delay`). */
export interface PendingReport {
  /** @format date-time */
  dueAt: string;
  kind: ReportKind;
  action: "failed" | "delayed" | null;
  ruleId: string | null;
  simulator: SimulatorMailbox | null;
  original: ReportedMessage;
}

export interface PendingReportList {
  /** Soonest first. */
  reports: PendingReport[];
}

/** `GET /api/reports/simulator`: the built-in addresses and how they are spelled on this server. */
export interface SimulatorInfo {
  enabled: boolean;
  /** Put in front of each local part (`--simulator-prefix`), e.g. "sim-" for `sim-bounce@…`. */
  prefix: string;
  mailboxes: SimulatorMailboxInfo[];
}

export interface SimulatorMailboxInfo {
  name: SimulatorMailbox;
  /** The local part to send to, prefix included, e.g. "bounce"; any domain, `+tag` allowed. */
  localPart: string;
  kind: ReportKind;
  /** DSN status, or null. */
  status: string | null;
  description: string;
}
