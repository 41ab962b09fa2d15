/**
 * The header block of a message or MIME part, over the raw bytes. Values are kept as "byte strings"
 * (latin1: one character per byte), so what a client is sent is exactly what arrived, whatever the
 * charset; `decodeText` turns one into readable text when a search needs it.
 */

/** One header field: where it sits in the raw bytes, and its unfolded value. */
export interface HeaderField {
  /** As written, e.g. "Content-Type". */
  name: string;
  /** `name` lowercased, for lookups. */
  key: string;
  /** Unfolded (CRLF before whitespace removed), outer whitespace trimmed; a byte string. */
  value: string;
  /** Byte range of the whole field in the raw message, folded lines and the final line end included. */
  start: number;
  end: number;
}

export interface HeaderBlock {
  fields: HeaderField[];
  /** First byte of the header block. */
  start: number;
  /** First byte of the body: after the empty line that ends the header, or the end of the range when there is none. */
  bodyStart: number;
}

/** A header larger than this is treated as ending here: no client needs more, and it bounds the work. */
export const MAX_HEADER_BYTES = 1024 * 1024;
/**
 * Fields beyond this many are not kept (they stay part of the raw bytes a client fetches), except
 * the first of each field in `READ_PAST_THE_CAP`.
 */
const MAX_FIELDS = 2000;

/**
 * The fields BODYSTRUCTURE and ENVELOPE read (the first of each name): kept even past `MAX_FIELDS`,
 * so that a message whose Content-Type comes after thousands of other fields is still described as
 * the multipart it is, as the API's parsed view describes it, and not as one text part. Only their
 * first occurrence is looked up, so this adds at most this many fields, however many follow.
 */
const READ_PAST_THE_CAP: ReadonlySet<string> = new Set([
  "content-type",
  "content-transfer-encoding",
  "content-disposition",
  "content-id",
  "content-description",
  "content-language",
  "content-location",
  "content-md5",
  "date",
  "subject",
  "from",
  "sender",
  "reply-to",
  "to",
  "cc",
  "bcc",
  "in-reply-to",
  "message-id",
]);

/**
 * Reads the header block starting at `start` and ending at the first empty line (CRLF or a bare LF),
 * or at `end`. Lines that are neither a field nor a continuation are skipped, as lenient readers do.
 */
export function readHeaderBlock(raw: Buffer, start: number, end: number): HeaderBlock {
  const fields: HeaderField[] = [];
  /** Past `MAX_FIELDS`: the names of `READ_PAST_THE_CAP` already kept (only their first counts). */
  let kept: Set<string> | null = null;
  const limit = Math.min(end, start + MAX_HEADER_BYTES);
  let position = start;
  let current: { name: string; start: number; end: number; lines: string[] } | null = null;
  const finish = () => {
    if (current === null) return;
    const key = current.name.toLowerCase();
    let keep = fields.length < MAX_FIELDS;
    if (!keep && READ_PAST_THE_CAP.has(key)) {
      kept ??= new Set(fields.map((field) => field.key).filter((name) => READ_PAST_THE_CAP.has(name)));
      keep = !kept.has(key);
      kept.add(key);
    }
    if (keep) {
      const value = current.lines.join("").trim();
      fields.push({ name: current.name, key, value, start: current.start, end: current.end });
    }
    current = null;
  };

  while (position < limit) {
    const newline = raw.indexOf(0x0a, position);
    const lineEnd = newline === -1 || newline >= end ? end : newline + 1;
    const contentEnd =
      lineEnd > position && raw[lineEnd - 1] === 0x0a ? trimCr(raw, lineEnd - 1, position) : lineEnd;
    if (contentEnd === position && lineEnd > position && raw[lineEnd - 1] === 0x0a) {
      // The empty line: the body starts after it.
      finish();
      return { fields, start, bodyStart: lineEnd };
    }
    const line = raw.toString("latin1", position, contentEnd);
    const first = raw[position];
    if ((first === 0x20 || first === 0x09) && current !== null) {
      current.lines.push(line);
      current.end = lineEnd;
    } else {
      finish();
      const colon = line.indexOf(":");
      const name = colon > 0 ? line.slice(0, colon).trim() : "";
      if (name !== "" && /^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
        current = { name, start: position, end: lineEnd, lines: [line.slice(colon + 1)] };
      }
    }
    position = lineEnd;
  }
  finish();
  return { fields, start, bodyStart: Math.min(position, end) };
}

function trimCr(raw: Buffer, newline: number, lineStart: number): number {
  return newline > lineStart && raw[newline - 1] === 0x0d ? newline - 1 : newline;
}

/** The first field named `key` (lowercase), or undefined. */
export function headerValue(block: HeaderBlock, key: string): string | undefined {
  return block.fields.find((field) => field.key === key)?.value;
}

/** A byte string as text: UTF-8 when it is valid UTF-8 (SMTPUTF8 headers), else latin1. */
export function byteStringToText(value: string): string {
  const bytes = Buffer.from(value, "latin1");
  const text = bytes.toString("utf8");
  return text.includes("\ufffd") ? value : text;
}
