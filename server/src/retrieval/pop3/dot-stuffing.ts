/**
 * RFC 1939 section 3: a multi-line response ends with "." on a line of its own, so every line of
 * the content that starts with "." gets one more. Lines may end in CRLF or a bare LF (bytes are
 * sent as stored); content that does not end with a line break gets a CRLF before the final ".".
 */
export function dotStuffed(content: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let start = 0;
  if (content[0] === 0x2e) {
    chunks.push(DOT);
  }
  for (let dot = content.indexOf("\n.", 0); dot !== -1; dot = content.indexOf("\n.", dot + 1)) {
    chunks.push(content.subarray(start, dot + 1), DOT);
    start = dot + 1;
  }
  chunks.push(content.subarray(start));
  const last = content[content.length - 1];
  chunks.push(content.length === 0 || last === 0x0a ? TERMINATOR : Buffer.concat([CRLF, TERMINATOR]));
  return chunks;
}

const DOT = Buffer.from(".");
const CRLF = Buffer.from("\r\n");
const TERMINATOR = Buffer.from(".\r\n");
