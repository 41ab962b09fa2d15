import type { AuthenticationSummary, MessageAuthentication } from "./authentication.js";

/**
 * A captured message as the API sends it. Lists carry `MessageSummary`s; the detail route,
 * waits and the SDK carry `StoredMessage`s. Every field is JSON-safe: dates are ISO-8601 strings.
 */

/** An address as it appears in a header: `"Ada Lovelace" <ada@example.com>`. */
export interface Address {
  /** The display name, "" when the header had none. */
  name: string;
  address: string;
}

export interface TlsInfo {
  /** e.g. "TLSv1.3" */
  protocol: string;
  /** e.g. "TLS_AES_256_GCM_SHA384" */
  cipher: string;
  /** true when the connection started as TLS (implicit, port-465 style) rather than STARTTLS. */
  implicit: boolean;
}

/** What the SMTP session knew when DATA ended. MAIL FROM / RCPT TO can differ from the headers. */
export interface Envelope {
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
  /**
   * "api" for a message submitted through `POST /api/send` (docs/integrations.md), which had no SMTP
   * session: `heloName` is "" and `remoteAddress` is the HTTP client's address. Absent for mail
   * received over SMTP.
   */
  submittedVia?: "api";
  /**
   * When the final dot was received, ISO-8601.
   * @format date-time
   */
  receivedAt: string;
}

/** One header line, in the order it appeared; repeats are kept. `value` is unfolded and decoded. */
export interface HeaderLine {
  name: string;
  value: string;
}

export interface AttachmentMeta {
  /**
   * Server-generated, e.g. "a1", "a2": never derived from the filename.
   * @pattern ^a[0-9]{1,5}$
   */
  id: string;
  /** As given in the message (decoded), or null. Data, never a path. */
  filename: string | null;
  contentType: string;
  /** @minimum 0 */
  size: number;
  /** @pattern ^[0-9a-f]{64}$ */
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

/** What a list returns: no bodies, no headers. */
export interface MessageSummary {
  /**
   * 26-character lowercase ULID: time-sortable, never a path on its own.
   * @pattern ^[0-9a-z]{26}$
   */
  id: string;
  /**
   * Monotonic per store, starting at 1; survives restarts, never reused.
   * @minimum 1
   */
  sequence: number;
  /** Normalized inbox addresses this message is listed in (one per distinct envelope recipient). */
  inboxes: string[];
  /** MAIL FROM ("" for the null sender). */
  mailFrom: string;
  rcptTo: string[];
  messageId: string | null;
  subject: string;
  /**
   * The header's mailboxes, groups listed by their members, as RFC 5322 §3.4 reads them: a bare
   * local part (`To: root`) is an address, several `From` mailboxes are all kept, a display name's
   * folding reads as one space and its encoded words are decoded.
   */
  from: Address[];
  to: Address[];
  cc: Address[];
  /**
   * The Date header, ISO-8601, or null when missing or invalid (an impossible day, time or offset).
   * A date without a zone, or with a zone name RFC 5322 does not list (`CEST`), is read as UTC,
   * whatever the server's own time zone.
   * @format date-time
   */
  date: string | null;
  /** @format date-time */
  receivedAt: string;
  /**
   * The same instant as `receivedAt` (when DATA ended), on the server's clock in milliseconds
   * since the epoch with sub-millisecond precision: what the `after` filter compares.
   */
  receivedTime: number;
  /**
   * The id of an earlier message with the same raw bytes and the same envelope (MAIL FROM and
   * RCPT TO) received within the ten minutes before this one, or null. Every copy is kept: a
   * client that lost its 250 and sent again, or an app that sent twice, shows up here.
   */
  duplicateOf: string | null;
  /**
   * Size of the raw message in bytes.
   * @minimum 0
   */
  size: number;
  /**
   * sha256 (hex) of the raw bytes.
   * @pattern ^[0-9a-f]{64}$
   */
  sha256: string;
  /** @minimum 0 */
  attachmentCount: number;
  authUser: string | null;
  tls: boolean;
  read: boolean;
  /** The first ~200 characters of `visibleText`, whitespace collapsed. */
  snippet: string;
  /** Why the MIME structure could not be (fully) parsed; the raw bytes are kept either way. */
  parseError: string | null;
  /**
   * SPF, DKIM, DMARC and ARC in one word each (docs/authentication.md). Absent when verification
   * was off (`--verify-auth off`) when the message arrived, or it was stored by a version without it.
   */
  authSummary?: AuthenticationSummary;
}

/** The full message: summary + envelope + parsed view. The raw bytes are fetched separately. */
export interface StoredMessage extends MessageSummary {
  envelope: Envelope;
  headers: HeaderLine[];
  bcc: Address[];
  replyTo: Address[];
  /** The text/plain body, as decoded, or null. */
  text: string | null;
  /** The text/html body's source, or null. */
  html: string | null;
  /**
   * The message's visible text, computed once when it is parsed (docs/api.md, "Visible text"):
   * the text part; when there is no text part, the HTML's text (tags, comments, CDATA, `<script>`,
   * `<style>` and `<head>` dropped, entities decoded, whitespace collapsed); when both exist, the
   * text part, a blank line, then the HTML's text. "" when the message has neither. The `text`
   * filters of the server's lists and waits and of the SDK all look at this field.
   */
  visibleText: string;
  attachments: AttachmentMeta[];
  links: Link[];
  /**
   * The verdicts, computed when the message arrived, before it was visible (docs/authentication.md):
   * DKIM per signature, SPF, DMARC, ARC, the Authentication-Results text and the DNS lookups made.
   * Absent exactly when `authSummary` is.
   */
  authentication?: MessageAuthentication;
}

/** A page of a list, newest first. */
export interface MessagePage {
  messages: MessageSummary[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
  /**
   * The store head when the page was read: the highest sequence stored.
   * @minimum 0
   */
  head: number;
}

/** `GET /api/messages/{id}/headers`. */
export interface HeaderList {
  headers: HeaderLine[];
}
