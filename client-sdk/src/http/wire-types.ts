/**
 * The JSON the server sends, mirrored from `server/src/store/model.ts` and `docs/api.md`. Copied
 * rather than imported so the published declarations do not depend on the server package.
 */

export interface Address {
  /** The display name, "" when the header had none. */
  name: string;
  address: string;
}

export interface TlsInfo {
  /** e.g. "TLSv1.3" */
  protocol: string;
  cipher: string;
  /** true for an implicit-TLS (port 465 style) connection, false for STARTTLS. */
  implicit: boolean;
}

export interface HeaderLine {
  name: string;
  value: string;
}

export interface WireAttachment {
  id: string;
  filename: string | null;
  contentType: string;
  size: number;
  sha256: string;
  contentId: string | null;
  disposition: "inline" | "attachment";
}

export interface Link {
  href: string;
  /** The anchor text for HTML links; the matched text itself for links found in plain text. */
  text: string;
  source: "html" | "text";
}

export interface MessageSummary {
  id: string;
  sequence: number;
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
  size: number;
  sha256: string;
  attachmentCount: number;
  authUser: string | null;
  tls: boolean;
  read: boolean;
  snippet: string;
  parseError: string | null;
}

export interface WireEnvelope {
  mailFrom: string;
  rcptTo: string[];
  remoteAddress: string;
  heloName: string;
  authUser: string | null;
  tls: TlsInfo | null;
  receivedAt: string;
}

export interface StoredMessage extends MessageSummary {
  envelope: WireEnvelope;
  headers: HeaderLine[];
  bcc: Address[];
  replyTo: Address[];
  text: string | null;
  html: string | null;
  attachments: WireAttachment[];
  links: Link[];
}

export interface MessagePage {
  messages: MessageSummary[];
  nextCursor: string | null;
  head: number;
}

export interface InboxInfo {
  address: string;
  messageCount: number;
  unreadCount: number;
  lastReceivedAt: string | null;
  createdAt: string;
  expiresAt: string | null;
}

export interface WaitResponse {
  messages: StoredMessage[];
  head: number;
}

export interface RecentMessage {
  id: string;
  sequence: number;
  subject: string;
  from: string;
  receivedAt: string;
}

/** The `error` object of a 408 `wait_timeout` answer. */
export interface WaitTimeoutBody {
  code: "wait_timeout";
  message: string;
  matched: number;
  inboxCount: number;
  recent: RecentMessage[];
  head: number;
}

export interface HealthResponse {
  status: string;
  version: string;
  head: number;
  messages: number;
}
