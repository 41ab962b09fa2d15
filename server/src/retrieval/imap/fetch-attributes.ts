import { ArgumentReader } from "./argument-reader.js";
import { CommandSyntaxError, tokenize } from "./command-tokens.js";
import type { SectionSpec } from "./wire/body-section.js";

/** One FETCH data item (RFC 3501 section 6.4.5). */
export type FetchItem =
  | { kind: "FLAGS" | "UID" | "INTERNALDATE" | "RFC822.SIZE" | "ENVELOPE" | "BODYSTRUCTURE" | "BODY" }
  | { kind: "RFC822" | "RFC822.HEADER" | "RFC822.TEXT" }
  | {
      kind: "section";
      /** BODY.PEEK: \Seen is not set. */
      peek: boolean;
      section: SectionSpec;
      /** The section as the client wrote it between the brackets, echoed in the response. */
      label: string;
      partial: { origin: number; count: number } | null;
    };

const SIMPLE = [
  "FLAGS",
  "UID",
  "INTERNALDATE",
  "RFC822.SIZE",
  "ENVELOPE",
  "BODYSTRUCTURE",
  "BODY",
  "RFC822",
  "RFC822.HEADER",
  "RFC822.TEXT",
] as const;
const MACROS: Record<string, FetchItem["kind"][]> = {
  ALL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
  FAST: ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
  FULL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
};

/** Fetch items are atoms whose section may hold spaces and parentheses (the tokenizer keeps them whole). */
const ANY_ATOM = /^[^\s()][\s\S]*$/;

const SECTION_ITEM = /^(BODY|BODY\.PEEK)\[([^\]]*)\](?:<(\d{1,10})\.(\d{1,10})>)?$/i;

/** The items after the sequence set: a macro, one item, or a parenthesized list of items. */
export function parseFetchItems(args: ArgumentReader): FetchItem[] {
  const first = args.peek();
  if (first?.kind === "list") {
    const list = args.list("fetch items");
    const items: FetchItem[] = [];
    while (!list.done) items.push(fetchItem(list.atom("a fetch item", ANY_ATOM)));
    if (items.length === 0) throw new CommandSyntaxError("empty list of fetch items");
    return items;
  }
  const text = args.atom("fetch items", ANY_ATOM);
  const macro = MACROS[text.toUpperCase()];
  if (macro) return macro.map((kind) => ({ kind }) as FetchItem);
  return [fetchItem(text)];
}

function fetchItem(text: string): FetchItem {
  const upper = text.toUpperCase();
  if ((SIMPLE as readonly string[]).includes(upper)) return { kind: upper } as FetchItem;
  const match = SECTION_ITEM.exec(text);
  if (!match) throw new CommandSyntaxError(`unknown fetch item ${JSON.stringify(text.slice(0, 60))}`);
  const label = match[2]!;
  let partial: { origin: number; count: number } | null = null;
  if (match[3] !== undefined) {
    const count = Number(match[4]);
    if (count === 0) throw new CommandSyntaxError("a partial fetch needs a count of at least 1");
    partial = { origin: Number(match[3]), count };
  }
  return { kind: "section", peek: match[1]!.length > 4, section: parseSection(label), label, partial };
}

const SECTION_TEXTS = ["HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"] as const;
/** Deeper part numbers than any real message nests. */
const MAX_PART_DEPTH = 32;

/** RFC 3501 `section-spec`: `1.2.HEADER.FIELDS (FROM TO)`, `TEXT`, `3.MIME`, or empty. */
export function parseSection(text: string): SectionSpec {
  const space = text.indexOf(" ");
  const spec = space === -1 ? text : text.slice(0, space);
  const words = spec === "" ? [] : spec.split(".");
  const parts: number[] = [];
  while (words.length > 0 && /^[1-9]\d{0,8}$/.test(words[0]!)) parts.push(Number(words.shift()));
  if (parts.length > MAX_PART_DEPTH) throw new CommandSyntaxError("section part numbers nested too deeply");
  const name = words.join(".").toUpperCase();
  if (name === "") {
    if (space !== -1) throw new CommandSyntaxError(`invalid section [${text}]`);
    return { parts, text: null, fields: [] };
  }
  const sectionText = SECTION_TEXTS.find((candidate) => candidate === name);
  if (!sectionText || (sectionText === "MIME" && parts.length === 0)) {
    throw new CommandSyntaxError(`invalid section [${text}]`);
  }
  const wantsFields = sectionText === "HEADER.FIELDS" || sectionText === "HEADER.FIELDS.NOT";
  if (!wantsFields) {
    if (space !== -1) throw new CommandSyntaxError(`invalid section [${text}]`);
    return { parts, text: sectionText, fields: [] };
  }
  if (space === -1) throw new CommandSyntaxError(`${sectionText} needs a list of header names`);
  const args = new ArgumentReader(tokenize([{ line: text.slice(space + 1) }], 0));
  const list = args.list("header names");
  args.end();
  const fields: string[] = [];
  while (!list.done) fields.push(list.astring("a header name"));
  if (fields.length === 0) throw new CommandSyntaxError(`${sectionText} needs at least one header name`);
  return { parts, text: sectionText, fields };
}
