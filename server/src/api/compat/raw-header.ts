/**
 * The header section of a raw message as the peers read it: field values as written (encoded words
 * still encoded), which is what Mailpit's `/headers` and MailHog's `Content.Headers` return, where
 * the store's `headers` are decoded.
 */

export interface RawHeaderField {
  name: string;
  /** Unfolded, not decoded. */
  value: string;
}

/** Everything before the first empty line (CRLF or bare LF), as UTF-8. */
export function headerSection(raw: Buffer): string {
  const text = raw.toString("utf8");
  const end = /\r?\n\r?\n/.exec(text);
  return end === null ? text : text.slice(0, end.index);
}

/**
 * The fields in order, as Go's `net/textproto` reads them (Mailpit): a continuation line is joined
 * to the one before with a single space; lines that are not `name: value` are skipped.
 */
export function parseHeaderFields(section: string): RawHeaderField[] {
  const fields: RawHeaderField[] = [];
  for (const line of section.split(/\r?\n/)) {
    const last = fields.at(-1);
    if (/^[ \t]/.test(line)) {
      if (last) last.value = `${last.value.trimEnd()} ${line.trim()}`.trimEnd();
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trimEnd(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

/** A token character of RFC 7230, the only ones Go canonicalizes a key over. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Go's `textproto.CanonicalMIMEHeaderKey`: `message-id` → `Message-Id`, `MIME-Version` →
 * `Mime-Version`; a key with other characters is returned unchanged.
 */
export function canonicalHeaderKey(name: string): string {
  if (!TOKEN.test(name)) return name;
  return name
    .toLowerCase()
    .replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}
