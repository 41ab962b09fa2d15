import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type { Email } from "postal-mime";
import { emptyParsedView } from "../store/empty-parsed-view.js";
import type { MessageParser } from "../store/message-store.js";
import type { ParsedView } from "../store/model.js";
import type { WantedAttachment } from "./mailparser-view.js";
import {
  attachmentBytes,
  parseWithPostalMime,
  postalMimeFits,
  postalView,
  readsAlike,
  sha256Of,
} from "./postal-view.js";

/**
 * Messages up to this size are parsed whole by PostalMime; larger ones by mailparser's stream.
 * PostalMime holds the message and every decoded part at once and decodes base64 more slowly, but
 * it has no streams to set up: a typical 2 KB message parses in about half of mailparser's time on
 * the event loop (docs/performance.md), while at about 32 KiB of attachment the two are level and
 * at 1 MiB PostalMime takes three times as long.
 */
export const WHOLE_MESSAGE_MAX_BYTES = 32 * 1024;

type InThreadParser = MessageParser & Required<Pick<MessageParser, "parseSource">>;

/**
 * The message parser: which of the two parsers reads a message depends on its bytes alone (their
 * number, and whether PostalMime accepts them), so ingest, a recovery's re-parse and an attachment
 * read back later all see the same view and the same attachment at the same index.
 */
export function createMessageParser(
  options: {
    /** Larger messages go to mailparser (default `WHOLE_MESSAGE_MAX_BYTES`; 0 sends every one there). */
    wholeMessageMaxBytes?: number;
  } = {},
): InThreadParser {
  const limit = options.wholeMessageMaxBytes ?? WHOLE_MESSAGE_MAX_BYTES;
  const parseSmall = async (bytes: Buffer): Promise<Email | null> => {
    if (parserFor(bytes, limit) !== "postal-mime") return null;
    try {
      return await parseWithPostalMime(bytes, POSTAL_MAX_PARTS);
    } catch {
      // Past one of PostalMime's limits: see POSTAL_MAX_PARTS.
      return null;
    }
  };
  const parseBytes = async (bytes: Buffer): Promise<ParsedView> => {
    const email = await parseSmall(bytes);
    return email === null ? mailparserView(bytes) : postalView(email);
  };
  const parse = async (raw: Readable | Buffer): Promise<ParsedView> => {
    if (Buffer.isBuffer(raw)) return parseBytes(raw);
    let read: Buffer | Readable;
    try {
      read = await readUpTo(raw, limit);
    } catch (error) {
      return emptyParsedView(describe(error));
    }
    return Buffer.isBuffer(read) ? parseBytes(read) : mailparserView(read);
  };
  return {
    parse,
    parseSource(source) {
      return parse(source.kind === "file" ? createReadStream(source.path) : source.bytes);
    },
    async attachmentContent(raw, index, sha256) {
      let read: Buffer | Readable;
      try {
        read = await readUpTo(raw, limit);
      } catch {
        return null;
      }
      const email = Buffer.isBuffer(read) ? await parseSmall(read) : null;
      if (email === null) return mailparserAttachment(read, { index, sha256 });
      const contents = email.attachments.map(attachmentBytes);
      const atIndex = contents[index] ?? null;
      if (sha256 === undefined || (atIndex !== null && sha256Of(atIndex) === sha256)) return atIndex;
      return contents.find((content) => sha256Of(content) === sha256) ?? null;
    },
  };
}

/**
 * mailparser, loaded when the first message needs it: most sandboxes only ever see small messages,
 * and mailparser with its stream machinery and character sets is the larger part of the parser's
 * code to compile and keep.
 */
let mailparser: Promise<typeof import("./mailparser-view.js")> | null = null;

function loadMailparser(): Promise<typeof import("./mailparser-view.js")> {
  mailparser ??= import("./mailparser-view.js");
  return mailparser;
}

async function mailparserView(raw: Readable | Buffer): Promise<ParsedView> {
  return (await loadMailparser()).mailparserView(raw);
}

async function mailparserAttachment(
  raw: Readable | Buffer,
  wanted: WantedAttachment,
): Promise<Buffer | null> {
  return (await loadMailparser()).mailparserAttachment(raw, wanted);
}

/** The shared parser instance (it holds no state between messages). */
export const messageParser = createMessageParser();

/**
 * PostalMime gives up on a message past its limits, where mailparser keeps what it read before its
 * own: such a message goes to mailparser, so a broken message reads the same at any size. Its limit
 * of parts is set below mailparser's 1,000 MIME nodes (which count differently) for the same reason.
 */
const POSTAL_MAX_PARTS = 900;

/** Which parser reads `bytes`: PostalMime when the message is small and it reads it as mailparser would. */
export function parserFor(bytes: Buffer, limit = WHOLE_MESSAGE_MAX_BYTES): "postal-mime" | "mailparser" {
  return postalMimeFits && bytes.length <= limit && readsAlike(bytes) ? "postal-mime" : "mailparser";
}

/**
 * The whole of `stream` when it ends within `limit` bytes; otherwise a stream of all of it (the
 * bytes read to find out, then the rest).
 */
async function readUpTo(stream: Readable, limit: number): Promise<Buffer | Readable> {
  const chunks: Buffer[] = [];
  let length = 0;
  const iterator: AsyncIterator<Buffer> = stream[Symbol.asyncIterator]();
  while (length <= limit) {
    const next = await iterator.next();
    if (next.done) return Buffer.concat(chunks, length);
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    length += chunk.length;
  }
  async function* all(): AsyncGenerator<Buffer> {
    try {
      yield* chunks;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      // Ended early (the parser gave up, or this stream was destroyed): close the source too.
      await iterator.return?.();
    }
  }
  return Readable.from(all(), { objectMode: false });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
