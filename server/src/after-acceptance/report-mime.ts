import { randomBytes } from "node:crypto";
import type { ReturnedContent } from "./original-message.js";

/**
 * One generated message, built with nodemailer's MIME tree (`mime-node`, the builder under its
 * mail-composer, which itself only makes multipart/mixed and /alternative): a `multipart/report`
 * (RFC 6522) with a human-readable part, the machine-readable part and the original, or a plain
 * text reply. It loads at the first report built: most sandboxes never generate one.
 */
export interface GeneratedMessage {
  /** The RFC 5322 header fields besides Date, Message-ID and MIME-Version, in order. */
  headers: Array<[name: string, value: string]>;
  /** The human-readable text. */
  text: string;
  /** For a report: its type and machine-readable part; absent for a plain reply. */
  report?: {
    type: "delivery-status" | "feedback-report";
    /** `message/delivery-status`, `message/global-delivery-status` or `message/feedback-report`. */
    contentType: string;
    /** The fields, lines ending in CRLF, groups separated by an empty line. */
    body: string;
    returned: ReturnedContent;
  };
  /** The domain in generated Message-IDs. */
  hostname: string;
  date: Date;
}

/** Builds the message; returns its bytes and the Message-ID it was given. */
export async function buildGeneratedMessage(
  message: GeneratedMessage,
): Promise<{ raw: Buffer; messageId: string }> {
  const { default: MimeNode } = await import("nodemailer/lib/mime-node/index.js");
  const options = { hostname: message.hostname, baseBoundary: randomBoundary() };
  const root = message.report
    ? new MimeNode(`multipart/report; report-type=${message.report.type}`, options)
    : new MimeNode("text/plain; charset=utf-8", options);
  root.setHeader("Date", rfc5322Date(message.date));
  for (const [name, value] of message.headers) root.setHeader(name, value);
  if (message.report) {
    root.createChild("text/plain; charset=utf-8").setContent(message.text);
    root
      .createChild(message.report.contentType)
      .setRaw(part(message.report.contentType, message.report.body));
    const returnedType = returnedContentType(message.report.type, message.report.returned);
    root.createChild(returnedType).setRaw(returnedPart(returnedType, message.report.returned));
  } else {
    root.setContent(message.text);
  }
  const messageId = root.messageId();
  return { raw: await root.build(), messageId };
}

/**
 * A machine-readable part, written out exactly: RFC 3464 and RFC 5965 fields are header-like lines
 * that a transfer encoding would hide from a quick look (and that must be 7bit for `delivery-status`).
 */
function part(contentType: string, body: string): Buffer {
  const encoding = /[^\x00-\x7f]/.test(body) ? "8bit" : "7bit";
  return Buffer.from(`Content-Type: ${contentType}\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${body}`);
}

/**
 * The original's part type: `message/rfc822` (whole) or `text/rfc822-headers` (RFC 6522 section 4);
 * in a DSN, `message/global` and `message/global-headers` when the original's header holds UTF-8
 * (RFC 6533 section 6.3), which the first two may not carry.
 */
export function returnedContentType(
  reportType: "delivery-status" | "feedback-report",
  returned: ReturnedContent,
): string {
  const header = returned.kind === "full" ? headerSection(returned.raw) : returned.header;
  const global = reportType === "delivery-status" && header.some((byte) => byte > 0x7f);
  if (returned.kind === "full") return global ? "message/global" : "message/rfc822";
  return global ? "message/global-headers" : "text/rfc822-headers";
}

/** The bytes up to the empty line that ends the header (all of them when there is none). */
function headerSection(raw: Buffer): Buffer {
  const crlf = raw.indexOf("\r\n\r\n");
  const lf = raw.indexOf("\n\n");
  const ends = [crlf, lf].filter((index) => index !== -1);
  return ends.length === 0 ? raw : raw.subarray(0, Math.min(...ends));
}

/** The original, in the part `returnedContentType` names. */
function returnedPart(type: string, returned: ReturnedContent): Buffer {
  const bytes = returned.kind === "full" ? returned.raw : returned.header;
  const encoding = bytes.some((byte) => byte > 0x7f) ? "8bit" : "7bit";
  const head = Buffer.from(`Content-Type: ${type}\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n`);
  const ending = bytes.length === 0 || bytes.subarray(-1).toString("latin1") === "\n" ? "" : "\r\n";
  return Buffer.concat([head, bytes, Buffer.from(ending)]);
}

/** A Message-ID with its angle brackets, whether or not it came with them. */
export function bracketed(messageId: string): string {
  const bare = messageId.trim().replace(/^<|>$/g, "");
  return `<${bare}>`;
}

/** RFC 5322 section 3.3, e.g. "Wed, 02 Dec 2026 03:47:52 +0000". */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, "+0000");
}

/** Random, so no original a report carries can hold the boundary by accident or on purpose. */
function randomBoundary(): string {
  return randomBytes(12).toString("hex");
}
