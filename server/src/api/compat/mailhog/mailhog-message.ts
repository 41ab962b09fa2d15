import type { StoredMessage } from "../../../store/model.js";

/**
 * MailHog's message shape (mailhog/data, message.go), built from the raw bytes the way MailHog
 * builds it, so clients that read `Content.Headers.Subject[0]`, `MIME.Parts[n].Body` or
 * `Raw.From` see what MailHog would have shown them, quirks included: header values as written
 * (encoded words still encoded), one value per name (a repeated header keeps its last value),
 * part bodies still transfer-encoded, every multipart split on its boundary line by line.
 */

export interface MailhogPath {
  Relays: string[] | null;
  Mailbox: string;
  Domain: string;
  Params: string;
}

export interface MailhogContent {
  Headers: Record<string, string[]>;
  Body: string;
  Size: number;
  MIME: MailhogMime | null;
}

export interface MailhogMime {
  Parts: MailhogContent[];
}

export interface MailhogMessage {
  ID: string;
  From: MailhogPath;
  To: MailhogPath[];
  Content: MailhogContent;
  /** When it was received, RFC 3339. */
  Created: string;
  MIME: MailhogMime | null;
  Raw: { From: string; To: string[]; Data: string; Helo: string };
}

/** `GET /api/v2/messages` and `/api/v2/search`. */
export interface MailhogMessages {
  total: number;
  count: number;
  start: number;
  items: MailhogMessage[];
}

/**
 * The message as MailHog's `SMTPMessage.Parse` makes it from the DATA it received. `hostname`
 * names this server in the `Received` line MailHog adds to the headers.
 */
export function mailhogMessage(message: StoredMessage, raw: Buffer, hostname: string): MailhogMessage {
  // MailHog's SMTP session keeps CRLF line ends; a message with bare LFs is read as if it had them.
  const text = raw.toString("utf8");
  const data = text.includes("\r\n") ? text : text.replace(/\n/g, "\r\n");
  const content = contentFromString(data);
  const mime = isMime(content) ? parseMimeBody(content) : null;
  const headers = content.Headers;
  const names = Object.keys(headers).map((name) => name.toLowerCase());
  if (!names.includes("message-id")) headers["Message-ID"] = [message.id];
  const received = `from ${message.envelope.heloName} by ${hostname} (Mailnest)\r\n          id ${message.id}; ${rfc1123z(message.receivedAt)}`;
  appendHeader(headers, "Received", received);
  appendHeader(headers, "Return-Path", `<${message.envelope.mailFrom}>`);
  content.Headers = sortedKeys(headers);
  return {
    ID: message.id,
    From: pathFromString(message.envelope.mailFrom),
    To: message.envelope.rcptTo.map(pathFromString),
    Content: content,
    Created: message.receivedAt,
    MIME: mime,
    Raw: {
      From: message.envelope.mailFrom,
      To: [...message.envelope.rcptTo],
      Data: data,
      Helo: message.envelope.heloName,
    },
  };
}

/** MailHog appends to a header it finds under any case, else adds it. */
function appendHeader(headers: Record<string, string[]>, name: string, value: string): void {
  const existing = Object.keys(headers).find((key) => key.toLowerCase() === name.toLowerCase());
  if (existing === undefined) headers[name] = [value];
  else headers[existing] = [...(headers[existing] ?? []), value];
}

/** `ContentFromString`: headers up to the first empty line, each `Name: value` (the last one of a name wins). */
export function contentFromString(data: string): MailhogContent {
  const size = Buffer.byteLength(data, "utf8");
  const split = data.indexOf("\r\n\r\n");
  if (split === -1) return { Headers: {}, Body: data, Size: size, MIME: null };
  const headers: Record<string, string[]> = {};
  let last = "";
  for (const line of data.slice(0, split).split("\r\n")) {
    const values = last === "" ? undefined : headers[last];
    if (values && (line.startsWith(" ") || line.startsWith("\t"))) {
      values[values.length - 1] += line;
    } else if (line.includes(": ")) {
      const at = line.indexOf(": ");
      last = line.slice(0, at);
      headers[last] = [line.slice(at + 2)];
    }
  }
  return { Headers: sortedKeys(headers), Body: data.slice(split + 4), Size: size, MIME: null };
}

/** `IsMIME`: a `Content-Type` header (that exact name) starting with `multipart/`. */
function isMime(content: MailhogContent): boolean {
  return content.Headers["Content-Type"]?.[0]?.startsWith("multipart/") ?? false;
}

/** `ParseMIMEBody`: the body split on `--boundary`, each piece trimmed of CR and LF and parsed again. */
export function parseMimeBody(content: MailhogContent): MailhogMime {
  const boundary = mediaTypeParameter(content.Headers["Content-Type"]?.[0] ?? "", "boundary");
  const parts: MailhogContent[] = [];
  if (boundary) {
    for (const piece of content.Body.split(`--${boundary}`)) {
      if (piece === "") continue;
      const part = contentFromString(piece.replace(/^[\r\n]+|[\r\n]+$/g, ""));
      if (isMime(part)) part.MIME = parseMimeBody(part);
      parts.push(part);
    }
  }
  return { Parts: parts };
}

/** A parameter of a media type (`multipart/mixed; boundary="x"`), as Go's `mime.ParseMediaType` reads it. */
export function mediaTypeParameter(mediaType: string, name: string): string {
  const pattern = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g;
  for (const match of mediaType.matchAll(pattern)) {
    if (match[1]?.toLowerCase() !== name) continue;
    const value = match[2] ?? "";
    return value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value;
  }
  return "";
}

/** `PathFromString`: `relay1,relay2:mailbox@domain`. */
export function pathFromString(path: string): MailhogPath {
  let email = path;
  let relays: string[] | null = null;
  const colon = path.indexOf(":");
  if (colon !== -1) {
    relays = path.slice(0, colon).split(",");
    email = path.slice(colon + 1);
  }
  const at = email.indexOf("@");
  return {
    Relays: relays,
    Mailbox: at === -1 ? email : email.slice(0, at),
    Domain: at === -1 ? "" : email.slice(at + 1),
    Params: "",
  };
}

/** Go's `encoding/json` writes a map's keys sorted. */
function sortedKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Go's `time.RFC1123Z` in UTC: `Mon, 02 Jan 2006 15:04:05 +0000`. */
function rfc1123z(iso: string): string {
  return new Date(iso).toUTCString().replace("GMT", "+0000");
}
