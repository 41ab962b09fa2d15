import { GENERATED_REPORT_HEADER } from "@mailnest/protocol";
import type { ReturnedContent } from "./original-message.js";
import { bracketed, type GeneratedMessage, rfc5322Date } from "./report-mime.js";
import { describeStatus } from "./report-rule.js";

/** A delivery status notification (RFC 3464) about one message, for one or more of its recipients. */
export interface DsnInput {
  /** The reporting MTA's name (`--domain`): `Reporting-MTA: dns; <domain>`, `From: MAILER-DAEMON@<domain>`. */
  domain: string;
  action: "failed" | "delayed";
  /** The original's envelope sender, exactly as it was sent (a VERP address stays as it is). */
  to: string;
  original: {
    messageId: string | null;
    subject: string;
    receivedAt: Date;
    /** `ENVID=` of the original transaction. */
    envid: string | null;
  };
  recipients: Array<{
    /** As the client sent it in RCPT TO. */
    address: string;
    /** `ORCPT=` as sent (`rfc822;user@x`), or null. */
    orcpt: string | null;
    status: string;
    /** `Diagnostic-Code` text after `smtp; `; null = a default that names the status. */
    diagnostic: string | null;
  }>;
  returned: ReturnedContent;
  /** `delayed` only: until when delivery goes on being tried. */
  willRetryUntil: Date | null;
  /** What asked for the report, e.g. "rule=rpt_…" or "simulator=bounce". */
  origin: string;
  /** The original's Mailnest id. */
  originalId: string;
  now: Date;
}

/**
 * The DSN as a message: `From: Mail Delivery System <MAILER-DAEMON@domain>`, a human-readable
 * part, `message/delivery-status` (or `message/global-delivery-status` when an address is not
 * ASCII, RFC 6533) with one group per recipient, and the original's header or whole message.
 */
export function buildDsn(input: DsnInput): GeneratedMessage {
  const failed = input.action === "failed";
  const global = [input.to, ...input.recipients.map((recipient) => recipient.address)].some(isNonAscii);
  const references = input.original.messageId === null ? [] : [bracketed(input.original.messageId)];
  const perRecipient = input.recipients.map((recipient) => {
    const code = failed ? "550" : "451";
    const diagnostic =
      recipient.diagnostic ??
      `${code} ${recipient.status} <${recipient.address}>: ${describeStatus(recipient.status)}`;
    const domain = recipient.address.slice(recipient.address.lastIndexOf("@") + 1);
    return [
      `Final-Recipient: ${addressType(recipient.address)}; ${recipient.address}`,
      ...(recipient.orcpt === null ? [] : [`Original-Recipient: ${recipient.orcpt.replace(/;\s*/, "; ")}`]),
      `Action: ${input.action}`,
      `Status: ${recipient.status}`,
      `Remote-MTA: dns; ${domain}`,
      `Diagnostic-Code: smtp; ${diagnostic}`,
      `Last-Attempt-Date: ${rfc5322Date(input.now)}`,
      ...(input.willRetryUntil === null ? [] : [`Will-Retry-Until: ${rfc5322Date(input.willRetryUntil)}`]),
    ];
  });
  const perMessage = [
    `Reporting-MTA: dns; ${input.domain}`,
    ...(input.original.envid === null ? [] : [`Original-Envelope-Id: ${input.original.envid}`]),
    `Arrival-Date: ${rfc5322Date(input.original.receivedAt)}`,
  ];
  const body = [perMessage, ...perRecipient].map((group) => `${group.join("\r\n")}\r\n`).join("\r\n");

  return {
    headers: [
      ["From", `Mail Delivery System <MAILER-DAEMON@${input.domain}>`],
      ["To", input.to],
      ["Subject", failed ? "Undelivered Mail Returned to Sender" : "Delayed Mail (still being retried)"],
      // RFC 3834 section 5: what a mail system sends about a message is auto-replied, so nothing
      // that honours the field answers it.
      ["Auto-Submitted", "auto-replied"],
      ...(references.length === 0
        ? []
        : ([
            ["In-Reply-To", references[0]],
            ["References", references.join(" ")],
          ] as Array<[string, string]>)),
      [
        GENERATED_REPORT_HEADER,
        `${failed ? "bounce" : "delay"}; ${input.origin}; original=${input.originalId}`,
      ],
    ],
    text: humanText(input),
    report: {
      type: "delivery-status",
      contentType: global ? "message/global-delivery-status" : "message/delivery-status",
      body,
      returned: input.returned,
    },
    hostname: input.domain,
    date: input.now,
  };
}

function humanText(input: DsnInput): string {
  const lines = [
    `This is the mail system at host ${input.domain}.`,
    "",
    input.action === "failed"
      ? "I'm sorry to have to inform you that your message could not be delivered to one or more recipients."
      : "Your message could not be delivered yet to one or more recipients. Delivery will be retried; you do not need to resend it.",
    "",
    ...input.recipients.map(
      (recipient) => `<${recipient.address}>: ${recipient.status} ${describeStatus(recipient.status)}`,
    ),
    "",
    `(Made by Mailnest, a test sandbox, for the message ${input.original.messageId === null ? "without a Message-ID" : bracketed(input.original.messageId)}: ${input.origin}.)`,
  ];
  if (input.returned.kind === "headers" && input.returned.reason !== null) {
    lines.push("", `Only the message header is attached: ${input.returned.reason}.`);
  }
  return `${lines.join("\r\n")}\r\n`;
}

function addressType(address: string): string {
  return isNonAscii(address) ? "utf-8" : "rfc822";
}

function isNonAscii(text: string): boolean {
  return /[^\x00-\x7f]/.test(text);
}
