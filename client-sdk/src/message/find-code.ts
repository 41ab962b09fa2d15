import { htmlTextOf } from "@mailnest/protocol";
import { describeValue } from "../util/describe.js";

export interface CodeOptions {
  /** How many characters the code has. @default 6 */
  length?: number;
  /**
   * Letters and digits (at least one digit, so that ordinary words never count) instead of digits only.
   * @default false
   */
  alphanumeric?: boolean;
  /**
   * Your own pattern, instead of `length`/`alphanumeric`. The code is the named group `code`, else
   * the first capture group, else the whole match.
   * @example message.code({ pattern: /Your code: ([A-Z]{3}-\d{3})/ })
   */
  pattern?: RegExp;
}

export interface CodeSource {
  /** Where the text came from, for error messages: "subject", "text", "HTML". */
  label: string;
  text: string;
}

export interface CodeCandidate {
  value: string;
  /** Each distinct value once; where it was first seen, with a little text around it. */
  where: string;
}

const KNOWN_OPTIONS = ["length", "alphanumeric", "pattern"];
// URLs carry tokens and ids that look like codes ("?uid=482913"); a code is something a person reads.
const URL_PATTERN = /\b(?:https?|ftp):\/\/[^\s<>"]+|\bwww\.[^\s<>"]+/gi;

/**
 * Where a code is looked for, in tiers: the subject and the text part first; the HTML's text
 * (as the server extracted it) when the first tier holds no code, or there is no text part.
 * A text part that only says "View this email in your browser" still finds the code in the HTML.
 */
export function codeSources(message: {
  subject: string;
  text: string | null;
  html: string | null;
  visibleText: string;
}): CodeSource[][] {
  const first: CodeSource[] = [{ label: "subject", text: message.subject }];
  if (message.text !== null) first.push({ label: "text", text: message.text });
  const htmlText = htmlTextOf(message);
  return htmlText === null ? [first] : [first, [{ label: "HTML", text: htmlText }]];
}

export function describeCodeKind(options: CodeOptions): string {
  if (options.pattern) return `code matching ${String(options.pattern)}`;
  const length = options.length ?? 6;
  return options.alphanumeric ? `${length}-character alphanumeric code` : `${length}-digit code`;
}

/** Validates the options (a `TypeError` says what was expected) and compiles the search pattern. */
export function codePattern(options: CodeOptions): RegExp {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Expected code options to be an object such as { length: 6 }; got ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.includes(key)) {
      throw new TypeError(`Unknown code option "${key}"; expected one of: ${KNOWN_OPTIONS.join(", ")}`);
    }
  }
  if (options.pattern !== undefined) {
    if (!(options.pattern instanceof RegExp)) {
      throw new TypeError(
        `Expected code option pattern to be a RegExp; got ${describeValue(options.pattern)}`,
      );
    }
    if (options.length !== undefined || options.alphanumeric !== undefined) {
      throw new TypeError("Give either a code pattern or length/alphanumeric, not both");
    }
    const flags = options.pattern.flags.replace(/[gy]/g, "");
    return new RegExp(options.pattern.source, `${flags}g`);
  }
  const length = options.length ?? 6;
  if (!Number.isInteger(length) || length < 3 || length > 64) {
    throw new TypeError(
      `Expected code option length to be an integer from 3 to 64; got ${describeValue(length)}`,
    );
  }
  if (options.alphanumeric !== undefined && typeof options.alphanumeric !== "boolean") {
    throw new TypeError(
      `Expected code option alphanumeric to be true or false; got ${describeValue(options.alphanumeric)}`,
    );
  }
  // A code stands alone: not part of a longer number or word ("1234567", "ORDER123456").
  return options.alphanumeric
    ? new RegExp(`(?<![A-Za-z0-9])(?=[A-Za-z]*[0-9])[A-Za-z0-9]{${length}}(?![A-Za-z0-9])`, "g")
    : new RegExp(`(?<![A-Za-z0-9])[0-9]{${length}}(?![A-Za-z0-9])`, "g");
}

/** Every distinct code in the sources, in order of first appearance. URLs are skipped. */
export function findCodes(sources: readonly CodeSource[], pattern: RegExp): CodeCandidate[] {
  const found = new Map<string, CodeCandidate>();
  for (const source of sources) {
    const text = source.text.replace(URL_PATTERN, (url) => " ".repeat(url.length));
    for (const match of text.matchAll(pattern)) {
      const value = match.groups?.code ?? match[1] ?? match[0];
      if (value === "" || found.has(value)) continue;
      const start = Math.max(0, match.index - 25);
      const end = Math.min(text.length, match.index + match[0].length + 25);
      const context = text.slice(start, end).replace(/\s+/g, " ").trim();
      found.set(value, {
        value,
        where: `${source.label}: "${start > 0 ? "…" : ""}${context}${end < text.length ? "…" : ""}"`,
      });
    }
  }
  return [...found.values()];
}
