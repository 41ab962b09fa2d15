/**
 * The header fields prepended to a released message; the message's own bytes follow unchanged (so
 * a DKIM signature over it still verifies). The `Resent-*` block is RFC 5322 §3.6.6's record of a
 * message re-introduced into transport; the `X-Mailnest-Released-*` fields say where it came from,
 * and guard against loops (see `wasReleased`).
 */
export interface TraceDetails {
  releaseId: string;
  messageId: string;
  /** The Resent-From mailbox. */
  resentFrom: string;
  recipients: string[];
  /** "api" or the id of the auto-relay rule. */
  releasedBy: string;
  domain: string;
  date?: Date;
}

export function traceHeaders(details: TraceDetails): Buffer {
  const lines = [
    `Resent-Date: ${rfc5322Date(details.date ?? new Date())}`,
    `Resent-From: <${details.resentFrom}>`,
    `Resent-To: ${details.recipients.map((recipient) => `<${recipient}>`).join(", ")}`,
    `Resent-Message-ID: <${details.releaseId}@${details.domain}>`,
    `X-Mailnest-Released-Message: ${details.messageId}`,
    `X-Mailnest-Released-By: ${details.releasedBy}`,
  ];
  return Buffer.from(`${lines.join("\r\n")}\r\n`, "utf8");
}

/** Whether the message's header block already has an `X-Mailnest-Released-*` field. */
export function wasReleased(raw: Buffer): boolean {
  const crlf = raw.indexOf("\r\n\r\n");
  const lf = raw.indexOf("\n\n");
  const end = [crlf, lf].filter((index) => index !== -1).sort((a, b) => a - b)[0] ?? raw.length;
  return /^x-mailnest-released-/im.test(raw.subarray(0, end).toString("latin1"));
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `Tue, 02 Dec 2025 03:04:05 +0000` (RFC 5322 §3.3, in UTC). */
export function rfc5322Date(date: Date): string {
  const two = (value: number) => String(value).padStart(2, "0");
  return `${DAYS[date.getUTCDay()]}, ${two(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}
