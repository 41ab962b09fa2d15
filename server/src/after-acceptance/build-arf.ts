import { type FeedbackType, GENERATED_REPORT_HEADER } from "@mailnest/protocol";
import { SERVER_VERSION } from "../version.js";
import type { ReturnedContent } from "./original-message.js";
import { bracketed, type GeneratedMessage, rfc5322Date } from "./report-mime.js";

/** A complaint: an Abuse Reporting Format feedback report (RFC 5965) about one message. */
export interface ArfInput {
  domain: string;
  feedbackType: FeedbackType;
  /** Where the report goes: the envelope sender, or a feedback-loop address. */
  to: string;
  /** The recipient who complained, as sent in RCPT TO. */
  recipient: string;
  original: {
    mailFrom: string;
    messageId: string | null;
    subject: string;
    receivedAt: Date;
    remoteAddress: string;
    envid: string | null;
  };
  returned: ReturnedContent;
  origin: string;
  originalId: string;
  now: Date;
}

/**
 * The complaint as a message: `multipart/report; report-type=feedback-report` with a
 * human-readable part, `message/feedback-report` (RFC 5965 section 3.1) and the original.
 */
export function buildArf(input: ArfInput): GeneratedMessage {
  const { original } = input;
  const senderDomain = original.mailFrom.slice(original.mailFrom.lastIndexOf("@") + 1);
  const fields = [
    `Feedback-Type: ${input.feedbackType}`,
    `User-Agent: Mailnest/${SERVER_VERSION}`,
    "Version: 1",
    ...(original.mailFrom === "" ? [] : [`Original-Mail-From: <${original.mailFrom}>`]),
    `Original-Rcpt-To: <${input.recipient}>`,
    ...(original.envid === null ? [] : [`Original-Envelope-Id: ${original.envid}`]),
    `Arrival-Date: ${rfc5322Date(original.receivedAt)}`,
    `Reporting-MTA: dns; ${input.domain}`,
    ...(original.remoteAddress === "" ? [] : [`Source-IP: ${original.remoteAddress}`]),
    ...(original.mailFrom === "" ? [] : [`Reported-Domain: ${senderDomain}`]),
  ];
  const references = original.messageId === null ? [] : [bracketed(original.messageId)];
  const text = [
    `This is an email abuse report for a message received from IP ${original.remoteAddress || "(none)"} on ${rfc5322Date(original.receivedAt)}.`,
    `A recipient, <${input.recipient}>, reported it (feedback type: ${input.feedbackType}).`,
    "",
    `(Made by Mailnest, a test sandbox: ${input.origin}.)`,
  ];
  return {
    headers: [
      ["From", `Mailnest Feedback Loop <feedback-loop@${input.domain}>`],
      ["To", input.to],
      ["Subject", `FW: ${original.subject}`],
      ["Auto-Submitted", "auto-replied"],
      ...(references.length === 0 ? [] : ([["References", references.join(" ")]] as Array<[string, string]>)),
      [GENERATED_REPORT_HEADER, `complaint; ${input.origin}; original=${input.originalId}`],
    ],
    text: `${text.join("\r\n")}\r\n`,
    report: {
      type: "feedback-report",
      contentType: "message/feedback-report",
      body: `${fields.join("\r\n")}\r\n`,
      returned: input.returned,
    },
    hostname: input.domain,
    date: input.now,
  };
}
