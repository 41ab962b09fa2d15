import type { ArgumentReader } from "./argument-reader.js";
import { CommandSyntaxError } from "./command-tokens.js";
import { isSequenceSet, parseSequenceSet, type SequenceSet } from "./sequence-set.js";

/** A parsed SEARCH program (RFC 3501 section 6.4.4). All keys of a list must hold. */
export type SearchKey =
  | { op: "all" }
  | { op: "none" }
  | { op: "flag"; flag: "\\Seen" | "\\Answered" | "\\Flagged" | "\\Deleted" | "\\Draft"; set: boolean }
  | { op: "text"; field: "from" | "to" | "cc" | "bcc" | "subject" | "body" | "text"; value: string }
  | { op: "header"; name: string; value: string }
  | { op: "date"; field: "internal" | "sent"; compare: "before" | "on" | "since"; day: number }
  | { op: "size"; compare: "larger" | "smaller"; bytes: number }
  | { op: "uid"; set: SequenceSet }
  | { op: "seq"; set: SequenceSet }
  | { op: "not"; key: SearchKey }
  | { op: "or"; left: SearchKey; right: SearchKey }
  | { op: "and"; keys: SearchKey[] };

const FLAG_KEYS: Record<string, Extract<SearchKey, { op: "flag" }>> = {
  SEEN: { op: "flag", flag: "\\Seen", set: true },
  UNSEEN: { op: "flag", flag: "\\Seen", set: false },
  ANSWERED: { op: "flag", flag: "\\Answered", set: true },
  UNANSWERED: { op: "flag", flag: "\\Answered", set: false },
  FLAGGED: { op: "flag", flag: "\\Flagged", set: true },
  UNFLAGGED: { op: "flag", flag: "\\Flagged", set: false },
  DELETED: { op: "flag", flag: "\\Deleted", set: true },
  UNDELETED: { op: "flag", flag: "\\Deleted", set: false },
  DRAFT: { op: "flag", flag: "\\Draft", set: true },
  UNDRAFT: { op: "flag", flag: "\\Draft", set: false },
};
const TEXT_KEYS = {
  FROM: "from",
  TO: "to",
  CC: "cc",
  BCC: "bcc",
  SUBJECT: "subject",
  BODY: "body",
  TEXT: "text",
} as const;
const DATE_KEYS = {
  BEFORE: ["internal", "before"],
  ON: ["internal", "on"],
  SINCE: ["internal", "since"],
  SENTBEFORE: ["sent", "before"],
  SENTON: ["sent", "on"],
  SENTSINCE: ["sent", "since"],
} as const;
/** Keys nested deeper than this (NOT NOT NOT …) are refused rather than recursed into. */
const MAX_DEPTH = 64;

/** `[CHARSET name] key…`: the charset (uppercased, or null) and the keys as one AND. */
export function parseSearch(args: ArgumentReader): { charset: string | null; key: SearchKey } {
  let charset: string | null = null;
  const first = args.peek();
  if (first?.kind === "atom" && first.text.toUpperCase() === "CHARSET") {
    args.next("CHARSET");
    charset = args.astring("a charset name").toUpperCase();
  }
  const keys: SearchKey[] = [];
  while (!args.done) keys.push(searchKey(args, 0));
  if (keys.length === 0) throw new CommandSyntaxError("SEARCH needs at least one search key");
  return { charset, key: keys.length === 1 ? keys[0]! : { op: "and", keys } };
}

function searchKey(args: ArgumentReader, depth: number): SearchKey {
  if (depth > MAX_DEPTH) throw new CommandSyntaxError("search keys nested too deeply");
  const token = args.peek();
  if (token?.kind === "list") {
    const list = args.list("search keys");
    const keys: SearchKey[] = [];
    while (!list.done) keys.push(searchKey(list, depth + 1));
    if (keys.length === 0) throw new CommandSyntaxError("empty list of search keys");
    return { op: "and", keys };
  }
  const word = args.atom("a search key", /^[^\s()]+$/);
  const name = word.toUpperCase();
  if (isSequenceSet(word)) return { op: "seq", set: parseSequenceSet(word) };
  if (name === "ALL") return { op: "all" };
  // No message is ever \Recent here, so NEW and RECENT match nothing and OLD everything.
  if (name === "RECENT" || name === "NEW") return { op: "none" };
  if (name === "OLD") return { op: "all" };
  const flag = FLAG_KEYS[name];
  if (flag) return flag;
  if (name === "KEYWORD" || name === "UNKEYWORD") {
    args.atom("a keyword");
    // Keywords are not kept: no message has one.
    return name === "KEYWORD" ? { op: "none" } : { op: "all" };
  }
  if (name in TEXT_KEYS) {
    return {
      op: "text",
      field: TEXT_KEYS[name as keyof typeof TEXT_KEYS],
      value: args.astring(`the ${name} string`),
    };
  }
  if (name in DATE_KEYS) {
    const [field, compare] = DATE_KEYS[name as keyof typeof DATE_KEYS];
    return { op: "date", field, compare, day: parseSearchDate(args.astring(`the ${name} date`)) };
  }
  switch (name) {
    case "HEADER":
      return { op: "header", name: args.astring("a header name"), value: args.astring("the header string") };
    case "LARGER":
    case "SMALLER":
      return { op: "size", compare: name === "LARGER" ? "larger" : "smaller", bytes: args.number("a size") };
    case "UID":
      return { op: "uid", set: parseSequenceSet(args.atom("a UID set", /^[\d*:,]+$/)) };
    case "NOT":
      return { op: "not", key: searchKey(args, depth + 1) };
    case "OR":
      return { op: "or", left: searchKey(args, depth + 1), right: searchKey(args, depth + 1) };
    default:
      throw new CommandSyntaxError(`unknown search key ${JSON.stringify(word.slice(0, 40))}`);
  }
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** RFC 3501 `date` (`1-Feb-1994`): the UTC midnight it names, in milliseconds. */
export function parseSearchDate(text: string): number {
  const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  const month = match ? MONTHS.indexOf(match[2]!.toLowerCase()) : -1;
  if (!match || month === -1)
    throw new CommandSyntaxError(
      `invalid date ${JSON.stringify(text.slice(0, 40))} (expected e.g. 1-Feb-1994)`,
    );
  const day = Number(match[1]);
  const time = Date.UTC(Number(match[3]), month, day);
  if (new Date(time).getUTCDate() !== day)
    throw new CommandSyntaxError(`invalid date ${JSON.stringify(text)}`);
  return time;
}
