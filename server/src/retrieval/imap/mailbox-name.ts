/**
 * Mailbox names on the wire: RFC 3501 section 5.1.3's modified UTF-7 (printable ASCII as is, "&"
 * as "&-", anything else as "&" + modified base64 of UTF-16 + "-").
 */
export function encodeMailboxName(name: string): string {
  let out = "";
  let pending = "";
  const flush = () => {
    if (pending === "") return;
    const utf16 = Buffer.alloc(pending.length * 2);
    for (let i = 0; i < pending.length; i++) utf16.writeUInt16BE(pending.charCodeAt(i), i * 2);
    out += `&${utf16.toString("base64").replace(/=+$/, "").replaceAll("/", ",")}-`;
    pending = "";
  };
  for (const char of name) {
    const code = char.charCodeAt(0);
    if (code >= 0x20 && code <= 0x7e && char.length === 1) {
      flush();
      out += char === "&" ? "&-" : char;
    } else {
      pending += char;
    }
  }
  flush();
  return out;
}

/** The Unicode name, or null when the text is not valid modified UTF-7. */
export function decodeMailboxName(wire: string): string | null {
  let out = "";
  let i = 0;
  while (i < wire.length) {
    const char = wire[i]!;
    if (char !== "&") {
      // Characters outside printable ASCII are kept: a client that sends UTF-8 names is understood too.
      out += char;
      i += 1;
      continue;
    }
    const end = wire.indexOf("-", i);
    if (end === -1) return null;
    const encoded = wire.slice(i + 1, end);
    i = end + 1;
    if (encoded === "") {
      out += "&";
      continue;
    }
    if (!/^[A-Za-z0-9+,]+$/.test(encoded)) return null;
    const bytes = Buffer.from(encoded.replaceAll(",", "/"), "base64");
    if (bytes.length % 2 !== 0) return null;
    for (let j = 0; j < bytes.length; j += 2) out += String.fromCharCode(bytes.readUInt16BE(j));
  }
  return out;
}
