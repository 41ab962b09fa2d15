/**
 * The domain model of a captured message. The wire shapes (what the API sends) are the protocol
 * package's, re-exported here so the store's modules read them from their own layer; only what
 * never crosses the wire is declared here.
 */
import type { Envelope, StoredMessage } from "@mailnest/protocol";

export type {
  Address,
  AttachmentMeta,
  Envelope,
  HeaderLine,
  InboxInfo,
  Link,
  MessagePage,
  MessageSummary,
  StoredMessage,
  TlsInfo,
} from "@mailnest/protocol";
export { ATTACHMENT_ID_PATTERN, MESSAGE_ID_PATTERN } from "@mailnest/protocol";

/**
 * Where the bytes of a message being stored lie: in memory (messages up to the buffer limit), or in
 * a temp file (larger ones). A parser on a worker thread reads a file itself rather than having the
 * bytes streamed to it through the event loop.
 */
export type RawSource = { kind: "bytes"; bytes: Buffer } | { kind: "file"; path: string };

/** What the SMTP session knew when DATA ended; the store adds `receivedAt`. */
export type IncomingEnvelope = Omit<Envelope, "receivedAt">;

/**
 * The parsed view of a message. Built by `smtp/parse-message.ts` (PostalMime or mailparser, one view).
 * When parsing fails, the fields hold what could be read and `parseError` says why; the raw bytes
 * are kept.
 */
export type ParsedView = Pick<
  StoredMessage,
  | "messageId"
  | "date"
  | "subject"
  | "from"
  | "to"
  | "cc"
  | "bcc"
  | "replyTo"
  | "headers"
  | "text"
  | "html"
  | "visibleText"
  | "attachments"
  | "links"
  | "parseError"
>;
