import type { HeaderBlock } from "../../mime/header-block.js";
import type { MimePart } from "../../mime/mime-tree.js";

/** RFC 3501 `section`: part numbers, then optionally HEADER, HEADER.FIELDS[.NOT] (names), TEXT or MIME. */
export interface SectionSpec {
  parts: number[];
  text: "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME" | null;
  /** Header names of HEADER.FIELDS[.NOT], as the client wrote them. */
  fields: string[];
}

/**
 * The bytes of a section (RFC 3501 section 6.4.5, "BODY[<section>]"), or null when the message has
 * no such part. Part 1 of a non-multipart message is its body; N.HEADER and N.TEXT apply to an
 * encapsulated message/rfc822; header sections end with the empty line.
 */
export function sectionBytes(raw: Buffer, root: MimePart, section: SectionSpec): Buffer | null {
  let entity = root;
  let isMessage = true;
  for (const number of section.parts) {
    const next = child(entity, number, isMessage);
    if (next === null) return null;
    entity = next;
    isMessage = false;
  }

  const { text } = section;
  if (text === null) {
    // BODY[] is the whole message; BODY[n] is the part's body (for message/rfc822: the whole message in it).
    return section.parts.length === 0 ? raw : raw.subarray(entity.header.bodyStart, entity.bodyEnd);
  }
  if (text === "MIME") {
    if (section.parts.length === 0) return null;
    return headerWithBlankLine(raw, entity.header);
  }
  // HEADER, HEADER.FIELDS, TEXT: of the message itself, or of the message a message/rfc822 part holds.
  const message = section.parts.length === 0 ? entity : entity.message;
  if (message === null) return null;
  if (text === "TEXT") return raw.subarray(message.header.bodyStart, message.bodyEnd);
  return headerSectionBytes(raw, message.header, section);
}

/** Whether a section needs only the top-level header (so the body need not be read). */
export function isTopHeaderSection(section: SectionSpec): boolean {
  return (
    section.parts.length === 0 &&
    (section.text === "HEADER" || section.text === "HEADER.FIELDS" || section.text === "HEADER.FIELDS.NOT")
  );
}

/** HEADER, HEADER.FIELDS (names) or HEADER.FIELDS.NOT (names) of one header block, with the empty line. */
export function headerSectionBytes(
  raw: Buffer,
  header: HeaderBlock,
  section: Pick<SectionSpec, "text" | "fields">,
): Buffer {
  if (section.text === "HEADER") return headerWithBlankLine(raw, header);
  const wanted = new Set(section.fields.map((name) => name.toLowerCase()));
  const keep = section.text === "HEADER.FIELDS";
  const chunks = header.fields
    .filter((field) => wanted.has(field.key) === keep)
    .map((field) => withLineEnd(raw.subarray(field.start, field.end)));
  return Buffer.concat([...chunks, CRLF]);
}

const CRLF = Buffer.from("\r\n");

/** The `n`th part inside `entity`; a non-multipart message (or message/rfc822 body) has only part 1, itself. */
function child(entity: MimePart, number: number, isMessage: boolean): MimePart | null {
  if (entity.contentType.type === "multipart") return entity.children[number - 1] ?? null;
  if (isMessage) return number === 1 ? entity : null;
  if (entity.message !== null) return child(entity.message, number, true);
  return null;
}

/** The header block as it stands, ending with the empty line (added when the message had none). */
function headerWithBlankLine(raw: Buffer, header: HeaderBlock): Buffer {
  const block = raw.subarray(header.start, header.bodyStart);
  if (block.length === 0) return CRLF;
  if (endsWithEmptyLine(block)) return block;
  return Buffer.concat([withLineEnd(block), CRLF]);
}

/** Whether the last line of `block` is empty (the header's terminating blank line is included). */
function endsWithEmptyLine(block: Buffer): boolean {
  let end = block.length;
  if (block[end - 1] !== 0x0a) return false;
  end -= 1;
  if (end > 0 && block[end - 1] === 0x0d) end -= 1;
  return end === 0 || block[end - 1] === 0x0a;
}

function withLineEnd(bytes: Buffer): Buffer {
  return bytes.length > 0 && bytes[bytes.length - 1] === 0x0a ? bytes : Buffer.concat([bytes, CRLF]);
}
