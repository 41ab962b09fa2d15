import { isUtf8 } from "node:buffer";
import { Readable, Transform } from "node:stream";
import type { AttachmentStream, HeaderLines, Headers, MessageText } from "mailparser";
import { MailParser } from "mailparser";
import { emptyParsedView } from "../store/empty-parsed-view.js";
import type { AttachmentMeta, ParsedView } from "../store/model.js";
import { extractLinks } from "./extract-links.js";
import { dispositionOf, headerFields, isMediaType, stripAngleBrackets } from "./view-fields.js";
import { visibleText } from "./visible-text.js";

/**
 * The only module that knows mailparser (in maintenance mode; its README points new projects to
 * PostalMime, which `postal-view.ts` uses for messages small enough to hold whole). It uses the
 * streaming `MailParser` rather than `simpleParser` so attachment bodies are hashed as they pass
 * and never all held in memory at once (a 25 MB attachment costs its bytes once).
 */
export async function mailparserView(raw: Readable | Buffer): Promise<ParsedView> {
  try {
    const parsed = await runMailParser(raw, null);
    const view = toParsedView(parsed);
    // What mailparser read before it gave up is kept; the error says the view is incomplete.
    return parsed.error === null ? view : { ...view, parseError: describe(parsed.error) };
  } catch (error) {
    return emptyParsedView(describe(error));
  }
}

/** Which attachment to read: the one at `index` as the view lists them, or (with `sha256`) the one with those bytes. */
export interface WantedAttachment {
  index: number;
  sha256?: string | undefined;
}

/** The decoded content of the wanted attachment, or null. */
export async function mailparserAttachment(
  raw: Readable | Buffer,
  wanted: WantedAttachment,
): Promise<Buffer | null> {
  try {
    return (await runMailParser(raw, wanted)).captured;
  } catch {
    return null;
  }
}

const MAILPARSER_OPTIONS = {
  // The view shows what the message contains: no text synthesised from HTML, no HTML from text,
  // cid: references left as they are.
  skipHtmlToText: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  skipImageLinks: true,
  checksumAlgo: "sha256",
  // A bounce's machine-readable part (RFC 3464) is listed as an attachment, as PostalMime lists it,
  // rather than appended to the report's human-readable text.
  keepDeliveryStatus: true,
} as const;

/** The part of mailsplit's node that `createNode` is given and reads. */
interface MailsplitNode {
  filename?: string | false;
  disposition?: string | false;
  contentType?: string | false;
  multipart?: string | false;
  parentNode?: MailsplitNode;
  headers?: { hasHeader(key: string): boolean };
}

/** The part of mailparser's (internal) node that `createNode` returns and we adjust. */
interface ParserNode {
  isAttachment?: boolean;
  disposition?: string;
}

/**
 * mailparser folds every text part that is not `Content-Disposition: attachment` into the message
 * text, so a `text/plain; name="msg.txt"` part (CPython's test_email `msg_44`) vanished into the
 * body and was never listed. Python's `email` package and mail clients treat a text part that
 * carries a file name as an attachment; so do we. The hook is mailparser's `createNode`, which
 * decides `isAttachment` per MIME node (mailsplit gives the node its `filename` from either header).
 */
class NamedTextAsAttachmentParser extends MailParser {
  createNode(node: MailsplitNode): ParserNode {
    if (!node.multipart) {
      if (node.parentNode?.multipart === "digest" && node.headers?.hasHeader("content-type") === false) {
        // RFC 2046 section 5.1.5: a digest's part without a Content-Type is a message/rfc822.
        // mailsplit gives it text/plain, and the forwarded messages' headers and bodies became
        // the digest's own text (PostalMime leaves such a message here: `postal-view.ts`).
        node.contentType = "message/rfc822";
      } else if (node.contentType && !isMediaType(node.contentType)) {
        // RFC 2045 section 5.2: a Content-Type without a subtype (`text`, `plain`) is not one, and
        // the part is text/plain; listed as an attachment of type "text", its text was not found.
        node.contentType = "text/plain";
      }
    }
    const created = (
      MailParser.prototype as unknown as { createNode(node: unknown): ParserNode }
    ).createNode.call(this, node);
    if (created.isAttachment === false && node.filename) {
      created.isAttachment = true;
      if (!node.disposition) created.disposition = "attachment";
    }
    return created;
  }
}

interface MailParserResult {
  headers: Headers;
  headerLines: HeaderLines;
  text: string | null;
  html: string | null;
  /** Content already drained, so `checksum` and `size` are set. */
  attachments: AttachmentStream[];
  /** The content of the attachment `capture` asks for, or null. */
  captured: Buffer | null;
  /** Why mailparser stopped early (e.g. more than 1,000 MIME nodes); null when it read to the end. */
  error: unknown;
}

/**
 * Mirrors mailparser's own `simpleParser`, but keeps only the content of one attachment (if asked).
 * When mailparser gives up partway (its limits: docs/storage.md, "What the parser reads"), it
 * resolves with what was read until then and the `error`, rather than losing it all: headers, the
 * attachments whose content had ended, and the text parts already decoded. It rejects only when
 * `raw` itself fails.
 */
function runMailParser(raw: Readable | Buffer, capture: WantedAttachment | null): Promise<MailParserResult> {
  return new Promise((resolve, reject) => {
    const parser = new NamedTextAsAttachmentParser(MAILPARSER_OPTIONS);
    const result: MailParserResult = {
      headers: new Map(),
      headerLines: [],
      text: null,
      html: null,
      attachments: [],
      captured: null,
      error: null,
    };
    /** Attachments whose content ended, so their size and checksum are complete. */
    const drained = new Set<AttachmentStream>();
    // mailparser may emit a non-fatal error and still end: the first outcome wins.
    let settled = false;
    // A message that fits one slice is written whole: what the slicer would make of it, without the
    // two streams (an async iterator's promise per read among them) that cost a typical 2 KB message
    // about a third of its parse. Anything larger is sliced with backpressure.
    const whole = Buffer.isBuffer(raw) && raw.length <= INPUT_SLICE_BYTES;
    const stream = whole ? null : Buffer.isBuffer(raw) ? Readable.from([raw]) : raw;
    const input = stream?.pipe(slicer()) ?? null;
    const stop = () => {
      settled = true;
      if (stream !== null && input !== null) {
        stream.unpipe(input);
        input.unpipe(parser);
        // The stream was opened for this parse: what mailparser no longer reads is not left open
        // (a file's descriptor, or `parse-message.ts`'s reader of one).
        stream.destroy();
      }
      parser.destroy();
    };
    const fail = (error: unknown) => {
      if (settled) return;
      stop();
      reject(error);
    };
    const giveUp = (error: unknown) => {
      if (settled) return;
      stop();
      result.attachments = result.attachments.filter((attachment) => drained.has(attachment));
      if (result.text === null && result.html === null) Object.assign(result, textReadSoFar(parser));
      resolve({ ...result, error });
    };

    parser.on("error", giveUp);
    parser.on("headers", (headers: Headers) => {
      result.headers = headers;
      result.headerLines = parser.headerLines || [];
    });

    let reading = false;
    const readNext = (): void => {
      reading = true;
      const data = parser.read() as AttachmentStream | MessageText | null;
      if (data === null) {
        reading = false;
        return;
      }
      if (data.type === "text") {
        // With skipHtmlToText an HTML-only message still yields text "": that is "no text part".
        // A byte-order mark opening a UTF-8 part is not text: PostalMime's decoder drops it, and so do we.
        result.text = withoutBom(data.text) || null;
        result.html = withoutBom(data.html || undefined) || null;
        readNext();
        return;
      }
      const index = result.attachments.length;
      result.attachments.push(data);
      // By checksum, every attachment's bytes are held until its end (one at a time) and kept if
      // they are the ones wanted: the checksum is known only then.
      const keep =
        capture !== null &&
        result.captured === null &&
        (capture.sha256 !== undefined || index === capture.index);
      const chunks: Buffer[] = [];
      data.content.on("data", (chunk: Buffer) => {
        if (keep) chunks.push(chunk);
      });
      data.content.on("end", () => {
        drained.add(data);
        if (keep && (capture.sha256 === undefined || data.checksum === capture.sha256)) {
          result.captured ??= Buffer.concat(chunks);
        }
        data.release?.();
        readNext();
      });
    };
    parser.on("readable", () => {
      if (!reading) readNext();
    });
    parser.on("end", () => {
      if (settled) return;
      settled = true;
      resolve(result);
    });

    if (stream === null || input === null) {
      parser.end(raw);
      return;
    }
    stream.once("error", fail);
    input.pipe(parser);
  });
}

function withoutBom(text: string | undefined): string | undefined {
  return text?.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** See `slicer`. */
const INPUT_SLICE_BYTES = 16 * 1024;

/**
 * Hands the message to mailparser in 16 KiB pieces, with backpressure. Its MIME splitter takes each
 * piece whole and runs ahead of the parts mailparser has read, and when it gives up, what it had
 * split but mailparser not yet read is lost: a message handed over in one 1 MiB buffer (the store
 * keeps small messages in memory) would lose every part.
 */
function slicer(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      for (let offset = 0; offset < chunk.length; offset += INPUT_SLICE_BYTES) {
        this.push(chunk.subarray(offset, offset + INPUT_SLICE_BYTES));
      }
      callback();
    },
  });
}

/**
 * The text and HTML parts decoded so far. mailparser hands them out only once the message has
 * ended, through its internal `getTextContent` (which walks the MIME tree built so far); if a
 * mailparser upgrade drops it, a partial view simply has no text.
 */
function textReadSoFar(parser: MailParser): { text: string | null; html: string | null } {
  const internal = parser as unknown as { getTextContent?: () => { text?: unknown; html?: unknown } };
  try {
    const content = internal.getTextContent?.();
    return {
      text: typeof content?.text === "string" && content.text !== "" ? content.text : null,
      html: typeof content?.html === "string" && content.html !== "" ? content.html : null,
    };
  } catch {
    return { text: null, html: null };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * mailsplit hands a header line over as Latin-1 (one character per byte), so a raw UTF-8 header
 * (RFC 6532, as SMTPUTF8 clients send) read as mojibake in the header list, though mailparser's
 * own address and subject decoding got it right. A line whose bytes are UTF-8 is read as such, as
 * PostalMime reads it (`postal-view.ts`); one that is not stays Latin-1.
 */
function asUtf8(line: string): string {
  if (!NON_ASCII.test(line) || BEYOND_LATIN1.test(line)) return line;
  const bytes = Buffer.from(line, "latin1");
  return isUtf8(bytes) ? bytes.toString("utf8") : line;
}

const NON_ASCII = /[^\x00-\x7f]/;
const BEYOND_LATIN1 = /[^\x00-\xff]/;

function toParsedView(parsed: MailParserResult): ParsedView {
  const { headers } = parsed;
  const messageId = headers.get("message-id");
  return {
    messageId: typeof messageId === "string" && messageId !== "" ? messageId : null,
    // From the raw lines, as `postal-view.ts` reads them: mailparser's own Subject collapses folding
    // whitespace, which PostalMime keeps (RFC 5322 §2.2.3), and reads raw Latin-1 bytes as U+FFFD.
    ...headerFields(parsed.headerLines.map((line) => ({ line: asUtf8(line.line) }))),
    text: parsed.text,
    html: parsed.html,
    visibleText: visibleText(parsed.text, parsed.html),
    attachments: parsed.attachments.map(toAttachmentMeta),
    links: extractLinks({ html: parsed.html, text: parsed.text }),
    parseError: null,
  };
}

function toAttachmentMeta(attachment: AttachmentStream, index: number): AttachmentMeta {
  const contentId = attachment.cid ?? stripAngleBrackets(attachment.contentId);
  // mailparser's `contentDisposition` is its own guess when the part declares none.
  const declared = attachment.headers.get("content-disposition") as { value?: string } | string | undefined;
  // mailparser replaces a declared application/octet-stream with a guess from the file name; the
  // view keeps what the message declares, as `postal-view.ts` does.
  const declaredType = attachment.headers.get("content-type") as { value?: string } | undefined;
  const contentType =
    declaredType?.value?.toLowerCase() === "application/octet-stream"
      ? "application/octet-stream"
      : attachment.contentType;
  return {
    id: `a${index + 1}`,
    filename: attachment.filename ?? null,
    contentType,
    size: attachment.size ?? 0,
    sha256: attachment.checksum ?? "",
    contentId,
    disposition: dispositionOf(
      typeof declared === "string" ? declared : declared?.value,
      attachment.related === true,
      contentId,
    ),
  };
}
