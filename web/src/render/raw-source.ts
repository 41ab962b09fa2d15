/** One header field of the raw source, with its folded continuation lines kept as they were. */
export interface RawHeaderField {
  name: string;
  /** Everything after the colon, continuation lines included (line breaks preserved). */
  value: string;
}

export interface RawSource {
  headers: RawHeaderField[];
  /** The blank line and everything after it; or, when no header block was recognised, the whole text. */
  body: string;
}

const FIELD = /^([!-9;-~]+):/;

/** Splits raw RFC 5322 text into its header fields and body, for highlighting the header block. */
export function splitRawSource(raw: string): RawSource {
  const headers: RawHeaderField[] = [];
  let offset = 0;
  while (offset < raw.length) {
    const end = raw.indexOf("\n", offset);
    const lineEnd = end === -1 ? raw.length : end + 1;
    const line = raw.slice(offset, lineEnd);
    const content = line.replace(/\r?\n$/, "");
    if (content === "") break;
    const last = headers[headers.length - 1];
    if ((content.startsWith(" ") || content.startsWith("\t")) && last) {
      last.value += line;
    } else {
      const match = FIELD.exec(content);
      if (!match) break;
      const name = match[1] ?? "";
      headers.push({ name, value: line.slice(name.length + 1) });
    }
    offset = lineEnd;
  }
  return { headers, body: raw.slice(offset) };
}
