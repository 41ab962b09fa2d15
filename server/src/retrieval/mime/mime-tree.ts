import { type HeaderBlock, headerValue, readHeaderBlock } from "./header-block.js";
import { type ContentType, paramValue, parseContentType } from "./header-params.js";

/**
 * One entity of the MIME tree (RFC 2045/2046) with its byte offsets in the raw message: what IMAP's
 * BODYSTRUCTURE describes and BODY[section] cuts out. The root is the message itself.
 */
export interface MimePart {
  header: HeaderBlock;
  /** Exclusive end of the body; the body is `header.bodyStart .. bodyEnd`. */
  bodyEnd: number;
  contentType: ContentType;
  /** The parts of a multipart (at least one: an empty text/plain part stands in when none was found). */
  children: MimePart[];
  /** For message/rfc822: the encapsulated message (its header starts where this part's body starts). */
  message: MimePart | null;
}

/** Deeper nesting is treated as opaque content: real mail nests a handful of levels. */
const MAX_DEPTH = 32;
/** Parts per message beyond this are not split further (a bound on the work one message can cause). */
const MAX_PARTS = 5_000;
/** RFC 2046 section 5.1.1: 1 to 70 characters; a little slack for senders that exceed it. */
const MAX_BOUNDARY = 200;

export function parseMimeTree(raw: Buffer): MimePart {
  const budget = { parts: MAX_PARTS };
  return parsePart(raw, 0, raw.length, "text/plain", 0, budget);
}

function parsePart(
  raw: Buffer,
  start: number,
  end: number,
  fallback: "text/plain" | "message/rfc822",
  depth: number,
  budget: { parts: number },
): MimePart {
  budget.parts -= 1;
  const header = readHeaderBlock(raw, start, end);
  const contentType = parseContentType(headerValue(header, "content-type"), fallback);
  const part: MimePart = { header, bodyEnd: end, contentType, children: [], message: null };
  if (depth >= MAX_DEPTH || budget.parts <= 0) return part;

  if (contentType.type === "multipart") {
    const boundary = paramValue(contentType.params, "boundary");
    const ranges =
      boundary !== undefined && boundary.length > 0 && boundary.length <= MAX_BOUNDARY
        ? splitMultipart(raw, header.bodyStart, end, boundary)
        : [];
    const childFallback = contentType.subtype === "digest" ? "message/rfc822" : "text/plain";
    for (const range of ranges) {
      if (budget.parts <= 0) break;
      part.children.push(parsePart(raw, range.start, range.end, childFallback, depth + 1, budget));
    }
    if (part.children.length === 0) {
      // IMAP's body-type-mpart needs one part at least; an empty text/plain part at the end stands in.
      part.children.push(parsePart(raw, end, end, "text/plain", depth + 1, budget));
    }
  } else if (contentType.type === "message" && contentType.subtype === "rfc822") {
    // Parsed whatever its transfer encoding (it should be 7bit/8bit/binary): IMAP's body-type-msg
    // needs an envelope and a body either way.
    part.message = parsePart(raw, header.bodyStart, end, "text/plain", depth + 1, budget);
  }
  return part;
}

/**
 * The parts between the delimiter lines `--boundary` (RFC 2046 section 5.1.1): the line break before
 * a delimiter belongs to the delimiter; a delimiter may be followed by transport padding; the
 * preamble and the epilogue are not parts. A missing close delimiter ends the last part at `end`.
 */
export function splitMultipart(
  raw: Buffer,
  start: number,
  end: number,
  boundary: string,
): Array<{ start: number; end: number }> {
  const delimiter = Buffer.from(`--${boundary}`, "latin1");
  const parts: Array<{ start: number; end: number }> = [];
  let partStart: number | null = null;
  let lineStart = start;
  while (lineStart < end) {
    const newline = raw.indexOf(0x0a, lineStart);
    const lineEnd = newline === -1 || newline >= end ? end : newline + 1;
    if (
      raw[lineStart] === 0x2d &&
      raw[lineStart + 1] === 0x2d &&
      lineStart + delimiter.length <= lineEnd &&
      raw.compare(delimiter, 0, delimiter.length, lineStart, lineStart + delimiter.length) === 0
    ) {
      const rest = raw.toString("latin1", lineStart + delimiter.length, lineEnd);
      const closing = rest.startsWith("--");
      if (/^[ \t]*\r?\n?$/.test(closing ? rest.slice(2) : rest)) {
        if (partStart !== null)
          parts.push({ start: partStart, end: Math.max(partStart, lineBreakBefore(raw, lineStart, start)) });
        if (closing) return parts;
        partStart = lineEnd;
      }
    }
    lineStart = lineEnd;
  }
  if (partStart !== null) parts.push({ start: Math.min(partStart, end), end });
  return parts;
}

/** Where the CRLF (or bare LF) that precedes `lineStart` begins; `lineStart` itself at the start of the range. */
function lineBreakBefore(raw: Buffer, lineStart: number, rangeStart: number): number {
  if (lineStart <= rangeStart) return lineStart;
  const lf = lineStart - 1;
  return lf > rangeStart && raw[lf - 1] === 0x0d ? lf - 1 : lf;
}

/** Text lines in a body: line ends, plus one for a last line without one. */
export function countLines(raw: Buffer, start: number, end: number): number {
  let lines = 0;
  let position = raw.indexOf(0x0a, start);
  while (position !== -1 && position < end) {
    lines += 1;
    position = raw.indexOf(0x0a, position + 1);
  }
  if (end > start && raw[end - 1] !== 0x0a) lines += 1;
  return lines;
}
