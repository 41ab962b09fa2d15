import { GENERATED_REPORT_HEADER } from "@mailnest/protocol";
import { bracketed, type GeneratedMessage } from "./report-mime.js";

/** An out-of-office reply (RFC 3834) from a recipient to the sender of a message. */
export interface AutoReplyInput {
  domain: string;
  /** The recipient who is away, as sent in RCPT TO: the reply's From. */
  from: string;
  /** The original's envelope sender (RFC 3834 section 4: the Return-Path). */
  to: string;
  original: {
    messageId: string | null;
    subject: string;
    /** The original's `References` (message ids with their angle brackets), if any. */
    references: string[];
  };
  subject: string | null;
  text: string | null;
  origin: string;
  originalId: string;
  now: Date;
}

const DEFAULT_TEXT = "Thank you for your message. I am out of the office and will read it when I am back.";

/**
 * The reply as a message: `Auto-Submitted: auto-replied` (section 5.1), `In-Reply-To` and
 * `References` naming the original (section 3.1.5), a subject that starts with "Auto:" (section 3.1.5).
 */
export function buildAutoReply(input: AutoReplyInput): GeneratedMessage {
  const { original } = input;
  const id = original.messageId === null ? null : bracketed(original.messageId);
  const references = [...original.references, ...(id === null ? [] : [id])];
  return {
    headers: [
      ["From", input.from],
      ["To", input.to],
      ["Subject", input.subject ?? `Auto: ${original.subject}`],
      ["Auto-Submitted", "auto-replied"],
      ...(id === null ? [] : ([["In-Reply-To", id]] as Array<[string, string]>)),
      ...(references.length === 0 ? [] : ([["References", references.join(" ")]] as Array<[string, string]>)),
      [GENERATED_REPORT_HEADER, `auto-reply; ${input.origin}; original=${input.originalId}`],
    ],
    text: `${(input.text ?? DEFAULT_TEXT).replace(/\r?\n/g, "\r\n")}\r\n`,
    hostname: input.domain,
    date: input.now,
  };
}
