import libmime from "libmime";
import type { Address, HeaderLine, ParsedView } from "../store/model.js";
import { parseAddressList } from "./address-list.js";
import { parseMailDate } from "./mail-date.js";

/**
 * What both parsers' views (`mailparser-view.ts`, `postal-view.ts`) read from the raw header lines
 * the same way, so a header, a date or a content id reads alike whichever parser a message went to.
 */

/** RFC 5322 §2.2.3: unfolding removes the CRLF before folding whitespace, nothing else. Encoded words (RFC 2047) are decoded. */
export function toHeaderLine(line: { line: string }): HeaderLine {
  const unfolded = line.line.replace(/\r?\n(?=[ \t])/g, "");
  const colon = unfolded.indexOf(":");
  const name = colon === -1 ? unfolded.trim() : unfolded.slice(0, colon).trim();
  const value = colon === -1 ? "" : unfolded.slice(colon + 1).trim();
  return { name, value: decodeWords(value) };
}

/**
 * libmime's `decodeWords`, called only for a value that has something for it to do: an encoded word
 * (`=?`), or the marker it joins adjacent words with, which it would also take out of a value that
 * carried it literally. Most header values have neither, and its five regular-expression passes cost
 * about 2 µs a header for nothing (about 1 % of a 2 KB message's ingest).
 */
function decodeWords(value: string): string {
  return value.includes("=?") || value.includes("__\u0000JOIN") ? libmime.decodeWords(value) : value;
}

/**
 * From the raw header (`mail-date.ts`): a parser may substitute the current time (mailparser) or pass
 * through (PostalMime) a Date it cannot read.
 */
export function parseDate(headers: HeaderLine[]): string | null {
  const header = headers.find((line) => line.name.toLowerCase() === "date");
  return header ? parseMailDate(header.value) : null;
}

export function stripAngleBrackets(value: string | undefined): string | null {
  if (!value) return null;
  const trimmed = value.trim().replace(/^<|>$/g, "");
  return trimmed === "" ? null : trimmed;
}

/**
 * How the view lists an attachment: inline when its Content-Disposition says so, or when it has
 * none and is a resource of a `multipart/related` (one with a Content-ID, which the HTML can
 * reference); otherwise an attachment. A disposition other than the two (`form-data`) is one.
 */
export function dispositionOf(
  declared: string | null | undefined,
  related: boolean,
  contentId: string | null,
): "inline" | "attachment" {
  const value = declared?.trim().toLowerCase() ?? "";
  if (value !== "") return value === "inline" ? "inline" : "attachment";
  return related && contentId !== null ? "inline" : "attachment";
}

/** A raw header line as either parser hands it over (folded, encoded words not yet decoded). */
export interface RawHeaderLine {
  line: string;
}

/**
 * Every header of this name, unfolded (RFC 5322 §2.2.3) but not decoded: what a field that must be
 * split before its words are decoded (an address list) is read from.
 */
export function rawHeaderValues(lines: readonly RawHeaderLine[], name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const { line } of lines) {
    const colon = line.indexOf(":");
    if (colon === -1 || line.slice(0, colon).trim().toLowerCase() !== wanted) continue;
    values.push(line.slice(colon + 1).replace(/\r?\n(?=[ \t])/g, ""));
  }
  return values;
}

/** The view's address fields, read from the raw header lines the same way for both parsers (`address-list.ts`). */
export function addressFields(
  lines: readonly RawHeaderLine[],
): Pick<ParsedView, "from" | "to" | "cc" | "bcc" | "replyTo"> {
  // A second To (or Cc, From) is not allowed (RFC 5322 §3.6) but is sent: its addresses are kept.
  const read = (name: string): Address[] => rawHeaderValues(lines, name).flatMap(parseAddressList);
  return { from: read("from"), to: read("to"), cc: read("cc"), bcc: read("bcc"), replyTo: read("reply-to") };
}

/**
 * Whether a Content-Type value is `type/subtype` (RFC 2045 §5.1: two tokens, no spaces). One that
 * is not (`text`, `text/`, `/plain`, `text / plain`, garbage) is text/plain (§5.2), on both parsers.
 */
export function isMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value);
}

const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/i;
