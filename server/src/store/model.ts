/**
 * The domain model of a captured message. Every layer speaks these types: the SMTP adapter
 * produces an `IncomingEnvelope`, the store keeps `StoredMessage`s and answers with
 * `MessageSummary`s (lists) or full `StoredMessage`s (detail), and the API serialises them as
 * they are (all fields are JSON-safe: dates are ISO-8601 strings).
 */

/** An address as it appears in a header: `"Ada Lovelace" <ada@example.com>`. */
export interface Address {
  name: string;
  address: string;
}

/** What the SMTP session knew when DATA ended. MAIL FROM / RCPT TO can differ from the headers. */
export interface IncomingEnvelope {
  /** MAIL FROM, as the client sent it ("" for the null sender `<>`). */
  mailFrom: string;
  /** Every RCPT TO, in the order accepted, as the client sent them. */
  rcptTo: string[];
  remoteAddress: string;
  /** The HELO/EHLO name the client gave. */
  heloName: string;
  /** The SMTP AUTH user name, or null when the client did not authenticate. */
  authUser: string | null;
  tls: TlsInfo | null;
}

export interface TlsInfo {
  /** e.g. "TLSv1.3" */
  protocol: string;
  /** e.g. "TLS_AES_256_GCM_SHA384" */
  cipher: string;
  /** true when the connection started as TLS (implicit, port-465 style) rather than STARTTLS. */
  implicit: boolean;
}

export interface Envelope extends IncomingEnvelope {
  /** When the final dot was received, ISO-8601. */
  receivedAt: string;
}

/** One header line, in the order it appeared; repeats are kept. `value` is unfolded and decoded. */
export interface HeaderLine {
  name: string;
  value: string;
}

export interface AttachmentMeta {
  /** Server-generated, e.g. "a1", "a2": never derived from the filename. */
  id: string;
  /** As given in the message (decoded), or null. Data, never a path. */
  filename: string | null;
  contentType: string;
  size: number;
  sha256: string;
  /** Without the angle brackets, or null. */
  contentId: string | null;
  disposition: "inline" | "attachment";
}

export interface Link {
  href: string;
  /** Link text for HTML anchors; for links found in plain text, the matched text itself. */
  text: string;
  source: "html" | "text";
}

/**
 * The parsed view of a message. Built by `smtp/parse-message.ts` (mailparser behind one module).
 * When parsing fails, every field is empty and `parseError` says why; the raw bytes are kept.
 */
export interface ParsedView {
  messageId: string | null;
  /** The Date header, ISO-8601, or null when missing or invalid. */
  date: string | null;
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  replyTo: Address[];
  headers: HeaderLine[];
  text: string | null;
  html: string | null;
  attachments: AttachmentMeta[];
  links: Link[];
  parseError: string | null;
}

/** What a list returns: no bodies, no headers. Small enough to keep every one in memory. */
export interface MessageSummary {
  /** 26-character lowercase ULID: time-sortable, never a path on its own. */
  id: string;
  /** Monotonic per store, starting at 1; survives restarts. */
  sequence: number;
  /** Normalized inbox addresses this message is listed in (one per distinct envelope recipient). */
  inboxes: string[];
  mailFrom: string;
  rcptTo: string[];
  messageId: string | null;
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  date: string | null;
  receivedAt: string;
  /** Size of the raw message in bytes. */
  size: number;
  /** sha256 (hex) of the raw bytes. */
  sha256: string;
  attachmentCount: number;
  authUser: string | null;
  tls: boolean;
  read: boolean;
  /** First ~200 characters of the text body (or text derived from HTML), whitespace collapsed. */
  snippet: string;
  parseError: string | null;
}

/** The full message: summary + envelope + parsed view. `raw` bytes are fetched separately. */
export interface StoredMessage extends MessageSummary {
  envelope: Envelope;
  headers: HeaderLine[];
  bcc: Address[];
  replyTo: Address[];
  text: string | null;
  html: string | null;
  attachments: AttachmentMeta[];
  links: Link[];
}

export const MESSAGE_ID_PATTERN = /^[0-9a-z]{26}$/;
export const ATTACHMENT_ID_PATTERN = /^a[0-9]{1,5}$/;
