import { type HeaderLine, normalizeAddress } from "@mailnest/protocol";
import type { DsnRequest } from "../events/bus.js";
import type { ReportKind, ReportRule, SimulatorMailbox } from "./report-rule.js";

/** The accepted message, as far as deciding about its reports goes. */
export interface AcceptedMessage {
  /** Mailnest id. */
  id: string;
  /** "" for the null sender. */
  mailFrom: string;
  /** RCPT TO, as sent. */
  rcptTo: string[];
  messageId: string | null;
  subject: string;
  headers: HeaderLine[];
}

export type ReportSettings = Pick<
  ReportRule,
  | "delayMs"
  | "status"
  | "diagnostic"
  | "failAfterMs"
  | "failStatus"
  | "feedbackType"
  | "reportTo"
  | "subject"
  | "text"
  | "returnContent"
>;

/** A report asked for: by a rule that matched (and whose probability came up), or by a simulator address. */
export interface ReportRequest {
  ruleId: string | null;
  simulator: SimulatorMailbox | null;
  kind: ReportKind;
  /** The recipients (as sent) it is about. */
  recipients: string[];
  settings: ReportSettings;
}

/** One recipient's part of a DSN. */
export interface DsnRecipient {
  address: string;
  orcpt: string | null;
  status: string;
  diagnostic: string | null;
}

/** One report to make, `delayMs` after the 250. */
export interface PlannedReport {
  request: ReportRequest;
  /** `failed` or `delayed` for a DSN; null otherwise. */
  action: "failed" | "delayed" | null;
  /** DSN: every recipient it reports on; complaint, auto-reply: the one recipient. */
  recipients: DsnRecipient[];
  /** The envelope recipient of the report. */
  to: string;
  delayMs: number;
  /** `delayed` DSN: when the `failed` one is due after the 250, or null when none follows. */
  failsAtMs: number | null;
}

/** A report that is not made, and why (it still goes in the log). */
export interface SkippedReport {
  request: ReportRequest;
  action: "failed" | "delayed" | null;
  status: string | null;
  recipients: string[];
  to: string | null;
  note: string;
}

/**
 * What reports one accepted message gets, and which asked-for ones are not made. Never a DSN to
 * the null sender, never one the client's NOTIFY declined, never an auto-reply to automatic or
 * list mail: what RFC 3461, RFC 5321 and RFC 3834 say keeps reports from looping.
 */
export function planReports(
  message: AcceptedMessage,
  dsn: DsnRequest,
  requests: readonly ReportRequest[],
): { planned: PlannedReport[]; skipped: SkippedReport[] } {
  const planned: PlannedReport[] = [];
  const skipped: SkippedReport[] = [];
  for (const request of requests) {
    const { kind, settings } = request;
    if (kind === "bounce" || kind === "delay") {
      planDsn(message, dsn, request, planned, skipped);
      continue;
    }
    for (const recipient of request.recipients) {
      const one = { address: recipient, orcpt: null, status: "", diagnostic: null };
      if (kind === "complaint") {
        const to = settings.reportTo ?? message.mailFrom;
        if (to === "") {
          skipped.push(skip(request, null, null, [recipient], null, NULL_SENDER_COMPLAINT));
        } else {
          planned.push({
            request,
            action: null,
            recipients: [one],
            to,
            delayMs: settings.delayMs,
            failsAtMs: null,
          });
        }
        continue;
      }
      const why = autoReplyRefusal(message, recipient);
      if (why !== null) skipped.push(skip(request, null, null, [recipient], message.mailFrom || null, why));
      else {
        planned.push({
          request,
          action: null,
          recipients: [one],
          to: message.mailFrom,
          delayMs: settings.delayMs,
          failsAtMs: null,
        });
      }
    }
  }
  return { planned, skipped };
}

const NULL_SENDER_DSN =
  "the message has the null sender <>: no delivery report is ever sent to it (RFC 5321 section 4.5.5)";
const NULL_SENDER_COMPLAINT = 'the message has the null sender <> and the rule names no "reportTo"';

function planDsn(
  message: AcceptedMessage,
  dsn: DsnRequest,
  request: ReportRequest,
  planned: PlannedReport[],
  skipped: SkippedReport[],
): void {
  const { settings } = request;
  const status = settings.status ?? (request.kind === "delay" ? "4.4.7" : "5.1.1");
  const firstAction = request.kind === "delay" ? "delayed" : "failed";
  if (message.mailFrom === "") {
    skipped.push(skip(request, firstAction, status, request.recipients, null, NULL_SENDER_DSN));
    return;
  }
  const dsnRecipient = (
    address: string,
    recipientStatus: string,
    diagnostic: string | null,
  ): DsnRecipient => ({
    address,
    orcpt: dsnParams(dsn, address)?.orcpt ?? null,
    status: recipientStatus,
    diagnostic,
  });
  /** The recipients whose NOTIFY asks for this kind of report; the others are logged as skipped. */
  const wanting = (action: "failed" | "delayed", reportStatus: string) => {
    const yes: string[] = [];
    for (const address of request.recipients) {
      const notify = dsnParams(dsn, address)?.notify ?? null;
      // RFC 3461 section 4.1: without NOTIFY, a server reports failures and delays.
      if (notify === null || notify.includes(action === "failed" ? "FAILURE" : "DELAY")) yes.push(address);
      else
        skipped.push(
          skip(request, action, reportStatus, [address], message.mailFrom, notifyNote(notify, action)),
        );
    }
    return yes;
  };

  if (request.kind === "bounce") {
    const recipients = wanting("failed", status);
    if (recipients.length > 0) {
      planned.push({
        request,
        action: "failed",
        recipients: recipients.map((address) => dsnRecipient(address, status, settings.diagnostic)),
        to: message.mailFrom,
        delayMs: settings.delayMs,
        failsAtMs: null,
      });
    }
    return;
  }
  const failsAtMs = settings.failAfterMs === null ? null : settings.delayMs + settings.failAfterMs;
  const delayed = wanting("delayed", status);
  if (delayed.length > 0) {
    planned.push({
      request,
      action: "delayed",
      recipients: delayed.map((address) => dsnRecipient(address, status, settings.diagnostic)),
      to: message.mailFrom,
      delayMs: settings.delayMs,
      failsAtMs,
    });
  }
  if (failsAtMs === null) return;
  const failStatus = settings.failStatus ?? "5.4.7";
  const failed = wanting("failed", failStatus);
  if (failed.length > 0) {
    planned.push({
      request,
      action: "failed",
      recipients: failed.map((address) => dsnRecipient(address, failStatus, null)),
      to: message.mailFrom,
      delayMs: failsAtMs,
      failsAtMs: null,
    });
  }
}

/** Why an auto-reply must not go out (RFC 3834 section 2), or null. */
function autoReplyRefusal(message: AcceptedMessage, recipient: string): string | null {
  if (message.mailFrom === "") {
    return "the message has the null sender <>: it is automatic mail, and no auto-reply answers it (RFC 3834 section 2)";
  }
  const header = (name: string) =>
    message.headers.find((line) => line.name.toLowerCase() === name)?.value.trim() ?? null;
  const autoSubmitted = header("auto-submitted");
  if (autoSubmitted !== null && autoSubmitted.toLowerCase().split(";")[0]?.trim() !== "no") {
    return `the message is "Auto-Submitted: ${autoSubmitted}": no auto-reply to automatic mail (RFC 3834 section 2)`;
  }
  const precedence = header("precedence")?.toLowerCase();
  if (precedence === "bulk" || precedence === "junk" || precedence === "list") {
    return `the message has "Precedence: ${precedence}": no auto-reply to bulk or list mail (RFC 3834 section 2)`;
  }
  if (header("list-id") !== null)
    return "the message has a List-Id: no auto-reply to list mail (RFC 3834 section 2)";
  if (normalizeAddress(message.mailFrom) === normalizeAddress(recipient)) {
    return "the sender is the recipient itself: no auto-reply to oneself";
  }
  return null;
}

function notifyNote(notify: string[], action: "failed" | "delayed"): string {
  if (notify.includes("NEVER")) return "the sender asked for no delivery reports (NOTIFY=NEVER)";
  return `NOTIFY=${notify.join(",")} does not ask for ${action === "failed" ? "failure" : "delay"} reports`;
}

function dsnParams(dsn: DsnRequest, address: string) {
  const key = normalizeAddress(address);
  return dsn.recipients.find((recipient) => normalizeAddress(recipient.address) === key) ?? null;
}

function skip(
  request: ReportRequest,
  action: "failed" | "delayed" | null,
  status: string | null,
  recipients: string[],
  to: string | null,
  note: string,
): SkippedReport {
  return { request, action, status, recipients, to, note };
}
