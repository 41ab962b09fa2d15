import { isAscii, isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import type { Attachment, Email } from "postal-mime";
import PostalMime from "postal-mime";
import type { AttachmentMeta, ParsedView } from "../store/model.js";
import { extractLinks } from "./extract-links.js";
import { dispositionOf, headerFields, isMediaType, stripAngleBrackets } from "./view-fields.js";
import { visibleText } from "./visible-text.js";

/**
 * The MIME node as PostalMime's internals hand it to the three methods overridden below. These are
 * not in its published types (they are marked internal), so `postalMimeFits` checks at load that
 * they still exist (if not, every message goes to mailparser), and `parse-message.test.ts` and
 * `parse-message-agreement.test.ts` pin what they do for the exact version the server depends on.
 */
interface PostalNode {
  contentType: { parsed: { value: string; params: Record<string, string | undefined> } };
  contentDisposition: { parsed: { value: string; params: Record<string, string | undefined> } };
  /** The decoded body, once the tree is parsed (as it is when the overridden methods run). */
  content: ArrayBuffer | null;
}

/** Whether the runtime can decode `charset` (a label PostalMime would map to one counts as unknown: that only costs a message the faster parser). */
function knownCharset(charset: string | undefined): boolean {
  if (!charset) return false;
  let known = knownCharsets.get(charset);
  if (known === undefined) {
    try {
      new TextDecoder(charset.trim());
      known = true;
    } catch {
      known = false;
    }
    // Labels come from the mail: past a few hundred distinct ones, the rest are not remembered.
    if (knownCharsets.size < 256) knownCharsets.set(charset, known);
  }
  return known;
}

const knownCharsets = new Map<string, boolean>();

const ASCII_LABELS = /^\s*(us-ascii|ascii|us|ansi_x3\.4-1968|iso-ir-6|iso646-us|cp367|ibm367|csascii)\s*$/i;

interface TextEntry {
  type: string;
  value: string;
}
interface PostalInternals {
  isInlineTextNode(node: PostalNode): boolean;
  collectAttachment(node: PostalNode, content: ArrayBuffer, ...rest: unknown[]): void;
  attachments: Attachment[];
  renderTextContent(): void;
  textMap: Map<unknown, Partial<Record<"plain" | "html", TextEntry[]>>>;
  textTypes: Set<"plain" | "html">;
  textContent: Record<string, string>;
}

const internals = PostalMime.prototype as unknown as PostalInternals;

/** Whether the internal methods the view's rules override are still where they were (4.2.x). */
export const postalMimeFits =
  typeof internals.isInlineTextNode === "function" &&
  typeof internals.renderTextContent === "function" &&
  typeof internals.collectAttachment === "function";

/**
 * PostalMime with the view's rules, the ones `mailparser-view.ts` applies to mailparser:
 * - a text part that names a file is an attachment (CPython's test_email `msg_44`; Python's `email`
 *   package and mail clients list it), not part of the body;
 * - the body is what the message holds: no text rendered from its HTML, no HTML from its text;
 * - an attachment is its bytes as sent, once the transfer encoding is undone: PostalMime re-encodes
 *   a calendar part as UTF-8 with one final line break, which would change its size and checksum.
 */
class ViewParser extends PostalMime {
  isInlineTextNode(node: PostalNode): boolean {
    // RFC 2045 section 5.2: a Content-Type without a subtype (`text`, `plain`, garbage) is not one,
    // and the part is text/plain, as mailparser reads it too (`mailparser-view.ts`).
    if (!isMediaType(node.contentType.parsed.value)) node.contentType.parsed.value = "text/plain";
    if (!internals.isInlineTextNode.call(this, node)) return false;
    const { contentType, contentDisposition } = node;
    if (/^flowed$/i.test(contentType.parsed.params.format ?? "")) {
      throw new ReadsDifferently("format=flowed text");
    }
    // Bytes that are not UTF-8, in no charset the runtime knows: PostalMime guesses windows-1252,
    // mailparser reads UTF-8 with replacement characters.
    if (!knownCharset(contentType.parsed.params.charset) && node.content && !isUtf8(node.content)) {
      throw new ReadsDifferently("text in no known charset");
    }
    // 8-bit text labelled US-ASCII (templates often say so and hold UTF-8): the WHATWG decoder
    // PostalMime uses reads that label as windows-1252 (`GrÃ¼ÃŸe`); mailparser reads UTF-8.
    if (
      ASCII_LABELS.test(contentType.parsed.params.charset ?? "") &&
      node.content &&
      !isAscii(node.content)
    ) {
      throw new ReadsDifferently("8-bit text labelled US-ASCII");
    }
    const disposition = contentDisposition.parsed.value;
    if (disposition !== "" && disposition !== "inline") return false;
    return !(contentDisposition.parsed.params.filename || contentType.parsed.params.name);
  }

  collectAttachment(node: PostalNode, content: ArrayBuffer, ...rest: unknown[]): void {
    if (node.contentType.parsed.value === "message/rfc822") {
      throw new ReadsDifferently("a message/rfc822 part");
    }
    const self = this as unknown as PostalInternals;
    internals.collectAttachment.call(this, node, content, ...rest);
    const collected = self.attachments[self.attachments.length - 1];
    if (collected !== undefined) collected.content = content;
  }

  renderTextContent(): void {
    const self = this as unknown as PostalInternals;
    const joined = { plain: [] as string[], html: [] as string[] };
    for (const entry of self.textMap.values()) {
      for (const textType of self.textTypes) {
        for (const item of entry[textType] ?? []) joined[textType].push(item.value);
      }
    }
    if (joined.plain.length > 1 || joined.html.length > 1) {
      throw new ReadsDifferently("more than one text or HTML part");
    }
    for (const textType of ["plain", "html"] as const) {
      const [value] = joined[textType];
      if (value !== undefined) self.textContent[textType] = value;
    }
  }
}

/**
 * Thrown from inside PostalMime where it would read a message differently from mailparser, whose
 * ways the views keep: a forwarded message (mailparser renders an inline one into the text), text
 * in several parts (joined with its own separators, and HTML made of the text parts), and
 * `format=flowed` text (whose last line break mailparser drops). Such a message goes to mailparser.
 */
export class ReadsDifferently extends Error {
  constructor(what: string) {
    super(`PostalMime reads ${what} differently from mailparser`);
    this.name = "ReadsDifferently";
  }
}

const OPTIONS = {
  // Every message/rfc822 part reaches collectAttachment (none is rendered into the text), which
  // leaves the message to mailparser.
  forceRfc822Attachments: true,
  attachmentEncoding: "arraybuffer",
} as const;

/**
 * Whether PostalMime reads this message as mailparser does, so that which of them parses it changes
 * nothing. They differ on messages no SMTP client sends: one whose last line has no line break
 * (PostalMime gives the text one), one whose header section holds a line that is neither a field nor
 * its continuation (mailparser reads it as a field, PostalMime as the start of the body), and
 * 8-bit header bytes that are not UTF-8 (PostalMime puts U+FFFD in their place, mailparser reads
 * them as Latin-1). One pass over the header section's lines, then a native UTF-8 check.
 */
export function readsAlike(bytes: Buffer): boolean {
  if (bytes.length === 0 || bytes[bytes.length - 1] !== LF) return false;
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(LF, start);
    // The header section never ended: a message of headers alone.
    if (end === -1) return false;
    const lineEnd = end > start && bytes[end - 1] === CR ? end - 1 : end;
    if (lineEnd === start) return start > 0 && isUtf8(bytes.subarray(0, start));
    const first = bytes[start];
    const continues = first === SP || first === HTAB;
    if (continues ? start === 0 : !isFieldStart(bytes, start, lineEnd)) return false;
    start = end + 1;
  }
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** A field name (printable ASCII but the colon, RFC 5322 §3.6.8) up to a colon on this line. */
function isFieldStart(bytes: Buffer, start: number, lineEnd: number): boolean {
  const colon = bytes.indexOf(COLON, start);
  if (colon <= start || colon >= lineEnd) return false;
  for (let i = start; i < colon; i++) {
    const byte = bytes[i]!;
    if (byte <= SP || byte > 0x7e) return false;
  }
  return true;
}

/** The parsed email, with each attachment's content, or the error PostalMime gave up with. */
export async function parseWithPostalMime(raw: Buffer, maxPartCount: number): Promise<Email> {
  return new ViewParser({ ...OPTIONS, maxPartCount }).parse(raw);
}

export function postalView(email: Email): ParsedView {
  const text = email.text ?? null;
  const html = email.html ?? null;
  return {
    messageId: email.messageId ?? null,
    ...headerFields(email.headerLines),
    text,
    html,
    visibleText: visibleText(text, html),
    attachments: email.attachments.map(toAttachmentMeta),
    links: extractLinks({ html, text }),
    parseError: null,
  };
}

/** The checksum the view records for an attachment (mailparser's `checksumAlgo: "sha256"`, as hex). */
export function sha256Of(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function attachmentBytes(attachment: Attachment): Buffer {
  const { content } = attachment;
  if (typeof content === "string") return Buffer.from(content, "utf8");
  return content instanceof ArrayBuffer
    ? Buffer.from(content)
    : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
}

function toAttachmentMeta(attachment: Attachment, index: number): AttachmentMeta {
  const bytes = attachmentBytes(attachment);
  const contentId = stripAngleBrackets(attachment.contentId);
  const { filename, mimeType } = attachment;
  return {
    id: `a${index + 1}`,
    filename,
    // As declared: a test that checks what the app sends must see application/octet-stream when
    // that is what it sent (mailparser, `mailparser-view.ts`, guesses from the name; not kept).
    contentType: mimeType,
    size: bytes.length,
    sha256: sha256Of(bytes),
    contentId,
    // PostalMime's `related` is only set with a Content-ID, which dispositionOf asks for too.
    disposition: dispositionOf(attachment.disposition, attachment.related === true, contentId),
  };
}
