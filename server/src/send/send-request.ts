import addressparser from "nodemailer/lib/addressparser";
import { unknownField } from "../unknown-field.js";
import { InvalidSendRequestError } from "./invalid-send-request-error.js";
import { isMailAddress } from "./mail-address.js";

/** A `SendRequest` after checking: every field present, addresses split into name and address. */
export interface ValidSendRequest {
  from: Mailbox;
  to: Mailbox[];
  cc: Mailbox[];
  bcc: Mailbox[];
  replyTo: Mailbox[];
  subject: string;
  text: string | null;
  html: string | null;
  attachments: ValidAttachment[];
  /** Extra header fields in the order given (Message-ID and Date are taken out into their own fields). */
  headers: Array<{ key: string; value: string }>;
  messageId: string | null;
  date: string | null;
}

export interface Mailbox {
  name: string;
  address: string;
}

export interface ValidAttachment {
  filename: string;
  contentType: string | null;
  content: Buffer;
  contentId: string | null;
  disposition: "attachment" | "inline";
}

const FIELDS = new Set([
  "from",
  "to",
  "cc",
  "bcc",
  "replyTo",
  "subject",
  "text",
  "html",
  "attachments",
  "headers",
]);
const ATTACHMENT_FIELDS = new Set(["filename", "contentType", "content", "contentId", "disposition"]);

/**
 * Header fields a request may not set through `headers`: those that shape the MIME structure (the
 * builder writes them) and those that have their own field (so there is one way to say each thing).
 */
const RESERVED_HEADERS = new Set([
  "content-type",
  "content-transfer-encoding",
  "content-disposition",
  "content-id",
  "mime-version",
  "from",
  "to",
  "cc",
  "bcc",
  "reply-to",
  "subject",
]);
/** RFC 5322 §3.6.8: printable US-ASCII except the colon. */
const FIELD_NAME = /^[!-9;-~]+$/;
const MAX_HEADERS = 100;
const MAX_HEADER_VALUE_LENGTH = 8000;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const CONTENT_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i;
const LINE_BREAK = /[\r\n\0]/;

/**
 * Checks a `POST /api/send` body (docs/integrations.md) and throws `InvalidSendRequestError` naming
 * the first field that is wrong. The builder only ever sees content: no field can name a file or a
 * URL to read from, and no value can carry a line break into a header.
 */
export function parseSendRequest(body: unknown, limits: { maxRecipients: number }): ValidSendRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InvalidSendRequestError("Expected a JSON object with at least from and to", "body");
  }
  const input = body as Record<string, unknown>;
  const unknown = unknownField(input, FIELDS);
  if (unknown !== null) throw new InvalidSendRequestError(unknown.message, unknown.field);
  if (input.from === undefined) throw new InvalidSendRequestError("Expected from (the sender)", "from");
  const from = mailbox(input.from, "from");
  const to = mailboxes(input.to, "to");
  const cc = mailboxes(input.cc, "cc");
  const bcc = mailboxes(input.bcc, "bcc");
  const recipients = to.length + cc.length + bcc.length;
  if (recipients === 0) {
    throw new InvalidSendRequestError("Expected at least one recipient in to, cc or bcc", "to");
  }
  if (recipients > limits.maxRecipients) {
    throw new InvalidSendRequestError(
      `Expected at most ${limits.maxRecipients} recipients (as over SMTP), got ${recipients}`,
      "to",
    );
  }
  const { headers, messageId, date } = extraHeaders(input.headers);
  return {
    from,
    to,
    cc,
    bcc,
    replyTo: mailboxes(input.replyTo, "replyTo"),
    subject: headerText(input.subject, "subject") ?? "",
    text: text(input.text, "text"),
    html: text(input.html, "html"),
    attachments: attachments(input.attachments),
    headers,
    messageId,
    date,
  };
}

function mailboxes(value: unknown, field: string): Mailbox[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new InvalidSendRequestError(`Expected ${field} to be a list of addresses`, field);
  }
  return value.map((entry, index) => mailbox(entry, `${field}[${index}]`));
}

function mailbox(value: unknown, field: string): Mailbox {
  if (typeof value === "string") {
    const parsed = addressparser(value);
    const only = parsed.length === 1 ? parsed[0] : undefined;
    if (!only || !("address" in only) || only.group !== undefined) {
      throw new InvalidSendRequestError(
        `Expected one address like "ada@example.com" or "Ada <ada@example.com>", got ${JSON.stringify(value)}`,
        field,
      );
    }
    return { name: checkName(only.name ?? "", field), address: checkAddress(only.address, field, value) };
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const { name, address } = value as { name?: unknown; address?: unknown };
    if (typeof address !== "string") throw new InvalidSendRequestError(`Expected ${field}.address`, field);
    if (name !== undefined && typeof name !== "string") {
      throw new InvalidSendRequestError(`Expected ${field}.name to be a string`, field);
    }
    return { name: checkName(name ?? "", field), address: checkAddress(address, field) };
  }
  throw new InvalidSendRequestError(
    `Expected ${field} to be an address string or { name, address }, got ${JSON.stringify(value)}`,
    field,
  );
}

/** `given`: what the caller wrote, quoted in the error (the parser turns "not-an-address" into a name and ""). */
function checkAddress(address: string, field: string, given: string = address): string {
  if (!isMailAddress(address)) {
    throw new InvalidSendRequestError(
      `Expected an address like "ada@example.com" in ${field}, got ${JSON.stringify(given)}`,
      field,
    );
  }
  return address;
}

function checkName(name: string, field: string): string {
  if (LINE_BREAK.test(name))
    throw new InvalidSendRequestError(`Expected ${field} without line breaks`, field);
  return name;
}

function text(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new InvalidSendRequestError(`Expected ${field} to be a string`, field);
  return value;
}

function headerText(value: unknown, field: string): string | null {
  const result = text(value, field);
  if (result !== null && LINE_BREAK.test(result)) {
    throw new InvalidSendRequestError(`Expected ${field} without line breaks`, field);
  }
  return result;
}

function extraHeaders(value: unknown): Pick<ValidSendRequest, "headers" | "messageId" | "date"> {
  const result: Pick<ValidSendRequest, "headers" | "messageId" | "date"> = {
    headers: [],
    messageId: null,
    date: null,
  };
  if (value === undefined) return result;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidSendRequestError(
      'Expected headers to be an object like { "X-Test-Run": "42" }',
      "headers",
    );
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_HEADERS) {
    throw new InvalidSendRequestError(
      `Expected at most ${MAX_HEADERS} headers, got ${entries.length}`,
      "headers",
    );
  }
  for (const [key, raw] of entries) {
    const field = `headers.${key}`;
    if (!FIELD_NAME.test(key)) {
      throw new InvalidSendRequestError(
        `Expected a header name of printable ASCII without ":", got ${JSON.stringify(key)}`,
        field,
      );
    }
    const lower = key.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) {
      throw new InvalidSendRequestError(
        `${key} cannot be set through headers: ${lower.startsWith("content-") || lower === "mime-version" ? "the MIME structure is built from text, html and attachments" : "use its own field"}`,
        field,
      );
    }
    if (typeof raw !== "string" || LINE_BREAK.test(raw) || raw.length > MAX_HEADER_VALUE_LENGTH) {
      throw new InvalidSendRequestError(
        `Expected ${field} to be a string of at most ${MAX_HEADER_VALUE_LENGTH} characters without line breaks`,
        field,
      );
    }
    if (lower === "message-id") result.messageId = raw;
    else if (lower === "date") {
      if (Number.isNaN(Date.parse(raw))) {
        throw new InvalidSendRequestError(
          `Expected ${field} to be a date, got ${JSON.stringify(raw)}`,
          field,
        );
      }
      result.date = raw;
    } else result.headers.push({ key, value: raw });
  }
  return result;
}

function attachments(value: unknown): ValidAttachment[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new InvalidSendRequestError("Expected attachments to be a list", "attachments");
  }
  return value.map((entry: unknown, index) => {
    const field = `attachments[${index}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw new InvalidSendRequestError(`Expected ${field} to be { filename, content }`, field);
    }
    const attachment = entry as Record<string, unknown>;
    const unknown = unknownField(attachment, ATTACHMENT_FIELDS, field);
    if (unknown !== null) throw new InvalidSendRequestError(unknown.message, `${field}.${unknown.field}`);
    const filename = headerText(attachment.filename, `${field}.filename`);
    if (!filename) throw new InvalidSendRequestError(`Expected ${field}.filename`, `${field}.filename`);
    const content = attachment.content;
    const compact = typeof content === "string" ? content.replace(/\s+/g, "") : null;
    if (compact === null || compact.length % 4 !== 0 || !BASE64.test(compact)) {
      throw new InvalidSendRequestError(`Expected ${field}.content to be base64`, `${field}.content`);
    }
    const contentType = headerText(attachment.contentType, `${field}.contentType`);
    if (contentType !== null && !CONTENT_TYPE.test(contentType)) {
      throw new InvalidSendRequestError(
        `Expected ${field}.contentType like "application/pdf", got ${JSON.stringify(contentType)}`,
        `${field}.contentType`,
      );
    }
    const contentId = headerText(attachment.contentId, `${field}.contentId`);
    if (contentId !== null && /[<>\s]/.test(contentId)) {
      throw new InvalidSendRequestError(
        `Expected ${field}.contentId without angle brackets or spaces`,
        `${field}.contentId`,
      );
    }
    const disposition = attachment.disposition ?? (contentId === null ? "attachment" : "inline");
    if (disposition !== "attachment" && disposition !== "inline") {
      throw new InvalidSendRequestError(
        `Expected ${field}.disposition to be "attachment" or "inline"`,
        `${field}.disposition`,
      );
    }
    return { filename, contentType, content: Buffer.from(compact, "base64"), contentId, disposition };
  });
}
