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
