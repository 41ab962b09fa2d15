import { type HeaderBlock, headerValue } from "../../mime/header-block.js";
import { parseParameterized } from "../../mime/header-params.js";
import { countLines, type MimePart } from "../../mime/mime-tree.js";
import { envelope } from "./envelope.js";
import type { WireValue } from "./wire-value.js";

/**
 * RFC 3501 section 7.4.2, BODYSTRUCTURE (`extended`) and BODY (without extension data), from the
 * MIME tree over the raw bytes. Type, subtype, parameter names and the transfer encoding are
 * uppercased as in the RFC's examples (they are case-insensitive); parameter values, ids and
 * descriptions are sent as written. text/* parts without a charset get CHARSET US-ASCII, their
 * RFC 2045 default.
 */
export function bodyStructure(raw: Buffer, part: MimePart, extended: boolean): WireValue[] {
  const { header, contentType } = part;
  if (contentType.type === "multipart") {
    const structure: WireValue[] = [
      { run: part.children.map((child) => bodyStructure(raw, child, extended)) },
      contentType.subtype.toUpperCase(),
    ];
    if (extended) {
      structure.push(params(contentType.params), ...disposition(header), language(header), location(header));
    }
    return structure;
  }

  const isText = contentType.type === "text";
  const parameters =
    isText && !contentType.params.some(([name]) => name.toLowerCase() === "charset")
      ? [...contentType.params, ["charset", "US-ASCII"] as [string, string]]
      : contentType.params;
  const structure: WireValue[] = [
    contentType.type.toUpperCase(),
    contentType.subtype.toUpperCase(),
    params(parameters),
    headerValue(header, "content-id") ?? null,
    headerValue(header, "content-description") ?? null,
    (headerValue(header, "content-transfer-encoding") || "7bit").toUpperCase(),
    part.bodyEnd - header.bodyStart,
  ];
  if (part.message !== null) {
    structure.push(
      envelope(part.message.header),
      bodyStructure(raw, part.message, extended),
      countLines(raw, header.bodyStart, part.bodyEnd),
    );
  } else if (isText) {
    structure.push(countLines(raw, header.bodyStart, part.bodyEnd));
  }
  if (extended) {
    structure.push(
      headerValue(header, "content-md5") ?? null,
      ...disposition(header),
      language(header),
      location(header),
    );
  }
  return structure;
}

/** `body-fld-param`: ("NAME" "value" …) or NIL. */
function params(list: ReadonlyArray<[string, string]>): WireValue {
  if (list.length === 0) return null;
  return list.flatMap(([name, value]): WireValue[] => [name.toUpperCase(), value]);
}

/** `body-fld-dsp`: ("ATTACHMENT" (params)) or NIL. */
function disposition(header: HeaderBlock): [WireValue] {
  const value = headerValue(header, "content-disposition");
  if (value === undefined) return [null];
  const parsed = parseParameterized(value);
  if (!/^[\x21-\x7e]+$/.test(parsed.value)) return [null];
  return [[parsed.value.toUpperCase(), params(parsed.params)]];
}

/** `body-fld-lang`: one string, a list of them, or NIL. */
function language(header: HeaderBlock): WireValue {
  const value = headerValue(header, "content-language");
  const tags = (value ?? "")
    .split(",")
    .map((tag) => tag.trim())
    .filter((tag) => tag !== "");
  if (tags.length === 0) return null;
  return tags.length === 1 ? tags[0]! : tags;
}

/** `body-fld-loc`. */
function location(header: HeaderBlock): WireValue {
  return headerValue(header, "content-location") ?? null;
}
