/** One header field of a raw message, located by byte offsets so it can be cut out unchanged. */
export interface HeaderField {
  /** Lowercased field name. */
  name: string;
  /** The value after the colon, unfolded. */
  value: string;
  start: number;
  end: number;
}

/**
 * The header fields of a raw message, in order (RFC 5322 section 2.2: a line starting with
 * whitespace continues the previous field). Read as latin1 so that offsets are byte offsets.
 */
export function headerFieldsOf(raw: Buffer): HeaderField[] {
  const text = raw.toString("latin1", 0, headerEnd(raw));
  const fields: HeaderField[] = [];
  let at = 0;
  while (at < text.length) {
    let end = at;
    // A field runs to the end of the first line not followed by a continuation line.
    for (;;) {
      const newline = text.indexOf("\n", end);
      end = newline < 0 ? text.length : newline + 1;
      const next = text.charCodeAt(end);
      if (end >= text.length || (next !== 0x20 && next !== 0x09)) break;
    }
    const field = text.slice(at, end);
    const colon = field.indexOf(":");
    if (colon > 0) {
      fields.push({
        name: field.slice(0, colon).trim().toLowerCase(),
        value: field
          .slice(colon + 1)
          .replace(/\r?\n(?=[ \t])/g, "")
          .trim(),
        start: at,
        end,
      });
    }
    at = end;
  }
  return fields;
}

/** Where the header section ends: just after the line break before the first empty line. */
function headerEnd(raw: Buffer): number {
  const crlf = raw.indexOf("\r\n\r\n");
  const lf = raw.indexOf("\n\n");
  if (crlf < 0 && lf < 0) return raw.length;
  if (crlf < 0) return lf + 1;
  if (lf < 0) return crlf + 2;
  return Math.min(crlf + 2, lf + 1);
}

/** The raw message without the given fields; everything else byte for byte. */
export function withoutFields(raw: Buffer, fields: readonly HeaderField[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const field of [...fields].sort((a, b) => a.start - b.start)) {
    parts.push(raw.subarray(at, field.start));
    at = field.end;
  }
  parts.push(raw.subarray(at));
  return Buffer.concat(parts);
}

/**
 * The header section as mailauth's DKIM parser delimits it: up to and including the first empty
 * line, where a line may end in CRLF or a bare LF ("\n\n" or "\n\r\n"); the whole message when it
 * has no body. Cut by mailauth's rule rather than `headerEnd`'s so that it reads the same fields.
 */
export function headerSection(raw: Buffer): Buffer {
  for (let at = raw.indexOf(0x0a); at >= 0; at = raw.indexOf(0x0a, at + 1)) {
    if (raw[at + 1] === 0x0a) return raw.subarray(0, at + 2);
    if (raw[at + 1] === 0x0d && raw[at + 2] === 0x0a) return raw.subarray(0, at + 3);
  }
  return raw;
}

/** A field that makes DKIM or ARC hash the body: a DKIM-Signature, or any ARC field. */
const BODY_HASHING_FIELD = /(?:^|\n)(?:dkim-signature|arc-)/i;

/**
 * What DKIM and ARC verification must read of a message. Without a DKIM-Signature or an ARC field
 * there is no body hash to compare, so the verdicts depend on the header section alone; reading
 * only that spares scanning and copying the body (a 1 MiB attachment cost more than the rest of
 * verification together).
 */
export function bytesToVerify(raw: Buffer): Buffer {
  const header = headerSection(raw);
  return bodyHashingFieldIn(header.toString("latin1")) ? raw : header;
}

/** Whether a header section (as latin1 text) holds a DKIM-Signature or an ARC field. */
export function bodyHashingFieldIn(headerText: string): boolean {
  return BODY_HASHING_FIELD.test(headerText);
}
