/**
 * `Content-Disposition: attachment` for a filename taken from a message (RFC 6266 §4.3): a plain
 * ASCII `filename="…"` for old clients and `filename*=UTF-8''…` (RFC 8187) carrying the real name.
 * The name is data from whoever sent the mail: directory parts and control characters go, and it
 * can never break out of the header.
 */

/** Longer names are cut: no file system takes more than 255 bytes, and headers should stay small. */
const MAX_NAME_LENGTH = 200;

export function attachmentDisposition(filename: string | null, fallback: string): string {
  const name = cleanFilename(filename ?? "") || fallback;
  return `attachment; filename="${asciiFallback(name)}"; filename*=UTF-8''${encodeExtValue(name)}`;
}

/**
 * Only the last path segment, without control characters, trimmed, cut to a sane length. Format
 * characters go too (`\p{Cf}`: bidi overrides, zero-width joiners): a right-to-left override makes
 * `invoice\u202Efdp.exe` show as `invoiceexe.pdf` in a save dialog that honours `filename*`.
 */
export function cleanFilename(filename: string): string {
  const base = filename.split(/[/\\]/).pop() ?? "";
  const printable = base.replace(/[\x00-\x1f\x7f-\x9f]|\p{Cf}/gu, "").trim();
  const cut = Array.from(printable).slice(0, MAX_NAME_LENGTH).join("");
  // "." and ".." are directory names, not file names.
  return /^\.+$/.test(cut) ? "" : cut;
}

/**
 * The quoted-string form, ASCII only. Quotes and backslashes would need escaping that browsers
 * handle inconsistently, and `%` may be percent-decoded by some (RFC 6266 appendix D), so those
 * and every non-ASCII character become `_`.
 */
export function asciiFallback(name: string): string {
  return Array.from(name, (char) => (/^[\x20-\x7e]$/.test(char) && !/["\\%]/.test(char) ? char : "_")).join(
    "",
  );
}

/** RFC 8187 §3.2.1 `value-chars`: attr-char stays, everything else is percent-encoded UTF-8. */
export function encodeExtValue(name: string): string {
  let encoded = "";
  for (const byte of Buffer.from(name, "utf8")) {
    const char = String.fromCharCode(byte);
    encoded += /^[A-Za-z0-9!#$&+\-.^_`|~]$/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}
