/**
 * mailauth 4.13's parser for tag=value header fields (lib/parse-dkim-headers.js: DKIM-Signature,
 * ARC-Seal, ARC-Message-Signature, and a key record as `DNS: TXT;…`), with its character loop
 * appending runs of characters instead of one character at a time. Upstream builds each tag's key
 * and value with `+=` per character, which for a 2048-bit DKIM-Signature (about 500 characters) was
 * the largest single function of a verification thread after the RSA verify itself.
 *
 * The result is upstream's to the byte: the same state machine, the same clean-up of each part and
 * the same result object. Input it handles differently from the common case goes to upstream's own
 * function: a backslash (upstream sets an "escaped" flag that is never cleared, and from then on
 * appends characters twice), and (ARC-)Authentication-Results, whose values it parses further. The
 * test beside this module compares both on generated input.
 */

import { UPSTREAM } from "./mailauth-line-scan.js";

interface Part {
  key: string;
  value: string | number;
  comment: string;
  hasValue: boolean;
}

export interface HeaderParseResult {
  parsed: Record<string, unknown>;
  original: unknown;
}

export type HeaderParser = (buffer: Buffer | string) => HeaderParseResult;

const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const OPEN = 0x28;
const CLOSE = 0x29;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;

const WHITESPACE_REMOVED = new Set(["bh", "b", "p", "h"]);
const NUMERIC = new Set(["l", "v", "t", "x"]);
const RESULTS_HEADERS = new Set(["arc-authentication-results", "authentication-results"]);

type Marked = HeaderParser & { [UPSTREAM]?: HeaderParser };

/**
 * `upstream` is mailauth's own parser, used for the input this one leaves to it. Given a parser
 * this function already made, it returns that one.
 */
export function fasterHeaderParser(upstream: HeaderParser): HeaderParser {
  if ((upstream as Marked)[UPSTREAM]) return upstream;
  const parser: Marked = (buffer) => {
    let line = (buffer || "").toString().trim();
    if (line.includes("\\")) return upstream(buffer);
    const colon = line.indexOf(":");
    let headerKey: string | undefined;
    if (colon >= 0) {
      headerKey = line.substr(0, colon).trim().toLowerCase();
      if (RESULTS_HEADERS.has(headerKey)) return upstream(buffer);
      line = line.substr(colon + 1).trim();
    }
    return { parsed: assemble(headerKey, clean(headerKey, split(line))), original: buffer };
  };
  parser[UPSTREAM] = upstream;
  return parser;
}

/** The parser a replacement made by `fasterHeaderParser` stands in for (for tests). */
export function upstreamHeaderParser(parser: HeaderParser): HeaderParser | null {
  return (parser as Marked)[UPSTREAM] ?? null;
}

/**
 * Upstream's state machine without escapes. A character goes to the current part's key or value
 * ("key"/"value" state), its comment ("comment"), or, inside quotes, to the field the quote opened
 * in; `=` in the key switches to the value, `;` starts a part, `(` a comment, a quote a quoted run
 * (the quote characters themselves are kept).
 */
function split(line: string): Part[] {
  const parts: Part[] = [];
  const newPart = (): Part => {
    const part: Part = { key: "", value: "", comment: "", hasValue: false };
    parts.push(part);
    return part;
  };
  let part = newPart();
  let state: "key" | "value" | "comment" | "quoted" = "key";
  let lastState: "key" | "value" = "key";
  let quote = 0;
  /** The field characters are going to, and where the run of them started. */
  let field: "key" | "value" | "comment" = "key";
  let runStart = 0;
  const flush = (end: number) => {
    if (end > runStart) part[field] += line.slice(runStart, end);
  };
  for (let index = 0; index < line.length; index += 1) {
    const c = line.charCodeAt(index);
    switch (state) {
      case "key":
      case "value":
        if (state === "key" && c === EQUALS) {
          flush(index);
          state = "value";
          field = "value";
          part.hasValue = true;
          runStart = index + 1;
        } else if (c === SEMICOLON) {
          flush(index);
          part = newPart();
          state = "key";
          field = "key";
          runStart = index + 1;
        } else if (c === OPEN) {
          flush(index);
          lastState = state;
          state = "comment";
          field = "comment";
          runStart = index + 1;
        } else if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
          // The quote is kept, in the field it opened in, as is everything up to the closing one.
          lastState = state;
          state = "quoted";
          quote = c;
        }
        break;
      case "comment":
        if (c === CLOSE) {
          flush(index);
          state = lastState;
          field = lastState;
          runStart = index + 1;
        }
        break;
      case "quoted":
        if (c === quote) state = lastState;
        break;
    }
  }
  flush(line.length);
  return parts;
}

/**
 * Upstream's clean-up of each part, last to first, dropping parts without a key. Upstream drops each
 * with `splice`, which moves every part after it: thousands of empty tags (`;;;…x=1;x=1;…`) cost
 * seconds of the verification thread. The kept parts are gathered instead, in the same order.
 */
function clean(headerKey: string | undefined, parts: Part[]): Part[] {
  const kept: Part[] = [];
  for (let index = parts.length - 1; index >= 0; index -= 1) {
    const part = parts[index] as Part;
    part.key = part.key.replace(/\s+/g, " ").trim();
    part.value = (part.value as string).replace(/\s+/g, " ").trim();
    part.comment = part.comment.replace(/\s+/g, " ").trim();
    part.key = part.key.toLowerCase();
    if (!part.key) continue;
    kept.push(part);
    if (WHITESPACE_REMOVED.has(part.key)) {
      part.value = (part.value as string).replace(/\s+/g, "");
    } else if (NUMERIC.has(part.key) && !Number.isNaN(Number(part.value))) {
      part.value = Number(part.value);
    } else if (part.key === "i" && /^arc-/i.test(headerKey ?? "")) {
      part.value = Number(part.value);
    }
  }
  return kept.reverse();
}

/** Upstream's result: the first key without a value is the field's value, every other part a tag. */
function assemble(headerKey: string | undefined, parts: Part[]): Record<string, unknown> {
  const result: Record<string, unknown> = { header: headerKey };
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index] as Part;
    if (part.key && !part.hasValue) {
      result.value = part.key;
      parts.splice(index, 1);
      break;
    }
  }
  for (const part of parts) {
    const entry: { value: string | number; comment?: string } = { value: part.value };
    if (part.comment) entry.comment = part.comment;
    if (part.key && part.key !== "__proto__" && part.key !== "constructor") result[part.key] = entry;
  }
  return result;
}
