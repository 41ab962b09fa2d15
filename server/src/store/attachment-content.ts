import { Readable } from "node:stream";
import type { MessageParser } from "./message-store.js";
import { ATTACHMENT_ID_PATTERN, type AttachmentMeta, type StoredMessage } from "./model.js";

/**
 * One attachment of a stored message, for both stores. Re-parses the raw bytes rather than keeping
 * attachment files: ingest (the hot path) writes each message once whatever it carries, and
 * downloading an attachment is rare by comparison. The bytes are read whole and verified first
 * (`readWhole`): an attachment cut from damaged bytes would be served as genuine. Null for an
 * unknown message or attachment, or a message deleted meanwhile.
 */
export async function attachmentContent(
  attachmentId: string,
  load: () => Promise<StoredMessage | null>,
  readWhole: (message: StoredMessage) => Promise<Readable | null>,
  parser: Pick<MessageParser, "attachmentContent">,
): Promise<{ meta: AttachmentMeta; content: Readable } | null> {
  if (!ATTACHMENT_ID_PATTERN.test(attachmentId)) return null;
  const message = await load();
  if (message === null) return null;
  const position = message.attachments.findIndex((attachment) => attachment.id === attachmentId);
  const meta = message.attachments[position];
  if (!meta) return null;
  const raw = await readWhole(message);
  if (raw === null) return null;
  // An empty checksum (a view of an attachment whose content never ended) names no bytes.
  const content = await parser.attachmentContent(raw, position, meta.sha256 || undefined);
  return content === null ? null : { meta, content: Readable.from([content]) };
}
