import libmime from "libmime";
import type { Address, HeaderLine } from "../store/model.js";

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

/** From the raw header: a parser may substitute the current time (mailparser) or pass through (PostalMime) a Date it cannot read. */
export function parseDate(headers: HeaderLine[]): string | null {
  const header = headers.find((line) => line.name.toLowerCase() === "date");
  if (!header) return null;
  const time = Date.parse(header.value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
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

/** An address as either parser gives it: a mailbox, or a group of them (RFC 5322 §3.4). */
export interface ParsedAddress {
  name?: string | undefined;
  address?: string | undefined;
  group?: readonly ParsedAddress[] | undefined;
}

/** The view's addresses: groups flattened into their members, entries with neither name nor address left out. */
export function flattenAddresses(entries: readonly ParsedAddress[]): Address[] {
  return entries.flatMap((entry) => {
    if (entry.group) return flattenAddresses(entry.group);
    if (!entry.address && !entry.name) return [];
    return [{ name: entry.name ?? "", address: entry.address ?? "" }];
  });
}
