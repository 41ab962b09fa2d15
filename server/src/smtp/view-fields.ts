import type { Address, HeaderLine, ParsedView } from "../store/model.js";
import { parseAddressList } from "./address-list.js";
import { decodeEncodedWords } from "./encoded-words.js";
import { parseMailDate } from "./mail-date.js";

/**
 * What both parsers' views (`mailparser-view.ts`, `postal-view.ts`) read from the raw header lines
 * the same way, so a header, a date or a content id reads alike whichever parser a message went to.
 */

/** A raw header line as either parser hands it over (folded, encoded words not yet decoded). */
export interface RawHeaderLine {
  line: string;
}

/**
 * The view's header fields, read from the raw header lines in one pass and the same way whichever
 * parser read the message: the header list (RFC 5322 §2.2.3 unfolding, which removes the CRLF
 * before folding whitespace and nothing else, then encoded words decoded), the subject and the date
 * from that list, and the address fields from the values before decoding (`address-list.ts`: an
 * address list is split before its words are decoded, so an encoded comma stays in a name). A second
 * To (or Cc, From) is not allowed (RFC 5322 §3.6) but is sent: its addresses are kept.
 */
export function headerFields(
  lines: readonly RawHeaderLine[],
): Pick<ParsedView, "headers" | "subject" | "date" | "from" | "to" | "cc" | "bcc" | "replyTo"> {
  const headers: HeaderLine[] = [];
  const addresses: Record<AddressField, Address[]> = { from: [], to: [], cc: [], bcc: [], replyTo: [] };
  for (const { line } of lines) {
    const unfolded = line.replace(/\r?\n(?=[ \t])/g, "");
    const colon = unfolded.indexOf(":");
    const name = colon === -1 ? unfolded.trim() : unfolded.slice(0, colon).trim();
    const value = colon === -1 ? "" : unfolded.slice(colon + 1).trim();
    headers.push({ name, value: decodeEncodedWords(value) });
    const field = ADDRESS_FIELDS.get(name.toLowerCase());
    if (field !== undefined) addresses[field] = addresses[field].concat(parseAddressList(value));
  }
  const subject = headers.find((header) => header.name.toLowerCase() === "subject");
  return { headers, subject: subject?.value ?? "", date: parseDate(headers), ...addresses };
}

type AddressField = "from" | "to" | "cc" | "bcc" | "replyTo";

const ADDRESS_FIELDS = new Map<string, AddressField>([
  ["from", "from"],
  ["to", "to"],
  ["cc", "cc"],
  ["bcc", "bcc"],
  ["reply-to", "replyTo"],
]);

/**
 * From the raw header (`mail-date.ts`): a parser may substitute the current time (mailparser) or pass
 * through (PostalMime) a Date it cannot read.
 */
function parseDate(headers: HeaderLine[]): string | null {
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

/**
 * Whether a Content-Type value is `type/subtype` (RFC 2045 §5.1: two tokens, no spaces). One that
 * is not (`text`, `text/`, `/plain`, `text / plain`, garbage) is text/plain (§5.2), on both parsers.
 */
export function isMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value);
}

const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/i;
