const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
const MEDIA_TYPE = new RegExp(
  `^${TOKEN}/${TOKEN}(?:\\s*;\\s*${TOKEN}=(?:${TOKEN}|"[^"\\\\\\x00-\\x1f\\x7f]*"))*$`,
);

/**
 * An attachment's content type comes from the sender. Served as given when it is a well-formed
 * media type (RFC 9110 §8.3.1), otherwise as opaque bytes; never something that could break the header.
 */
export function safeContentType(contentType: string): string {
  const trimmed = contentType.trim();
  return trimmed.length <= 200 && MEDIA_TYPE.test(trimmed) ? trimmed : "application/octet-stream";
}
