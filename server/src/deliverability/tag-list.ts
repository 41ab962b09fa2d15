/**
 * The `tag=value; tag=value` syntax of DKIM-Signature fields, DKIM key records (RFC 6376 section
 * 3.2) and DMARC records (RFC 7489 section 6.4). Tags are lowercased; the first occurrence of a tag
 * wins. Whitespace is dropped from the base64 and header-list tags, where it may be folded in.
 */
export function parseTagList(text: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of text.split(";")) {
    const equals = part.indexOf("=");
    if (equals <= 0) continue;
    const tag = part.slice(0, equals).trim().toLowerCase();
    let value = part.slice(equals + 1).trim();
    if (COMPACTED.has(tag)) value = value.replace(/\s+/g, "");
    if (!tags.has(tag)) tags.set(tag, value);
  }
  return tags;
}

const COMPACTED = new Set(["b", "bh", "p", "h"]);
