import type { Address, MessageSummary } from "../../../store/model.js";
import { parseMailpitDate } from "./mailpit-dates.js";

/**
 * Mailpit's search syntax (https://mailpit.axllent.org/docs/usage/search-filters/), read the way
 * its `searchQueryBuilder` reads it (internal/storage/search.go): words and "quoted phrases",
 * each a substring test (case-insensitive) that every message must pass; `-` or `!` in front
 * negates one. Prefixes: `to:`, `from:`, `cc:`, `bcc:`, `reply-to:`, `addressed:`, `subject:`,
 * `message-id:`, `tag:`, `is:read`, `is:unread`, `is:tagged`, `has:attachment`, `has:inline`,
 * `after:`, `before:`, `larger:`, `smaller:`; any other word searches the message's text.
 */

/** What the terms that need more than a summary look at, loaded once per message and only when asked. */
export interface SearchFacts {
  bcc: Address[];
  replyTo: Address[];
  /** Headers, visible text and attachment names, cleaned as Mailpit cleans its `SearchText`. */
  searchText: string;
  attachments: number;
  inlines: number;
  tags: readonly string[];
}

export interface SearchCandidate {
  summary: MessageSummary;
  facts(): Promise<SearchFacts>;
}

interface Term {
  exclude: boolean;
  /** Summary terms are tried first: most messages are turned away without reading them. */
  needsFacts: boolean;
  test(candidate: SearchCandidate): boolean | Promise<boolean>;
}

export class MailpitQuery {
  readonly #terms: Term[];

  private constructor(terms: Term[]) {
    this.#terms = [...terms].sort((a, b) => Number(a.needsFacts) - Number(b.needsFacts));
  }

  /** `timeZone` (the `tz` parameter) is where dates without an offset are read. */
  static parse(query: string, timeZone?: string): MailpitQuery {
    return new MailpitQuery(splitArguments(query).flatMap((word) => compileTerm(word, timeZone) ?? []));
  }

  async matches(candidate: SearchCandidate): Promise<boolean> {
    for (const term of this.#terms) if ((await term.test(candidate)) === term.exclude) return false;
    return true;
  }
}

/** Go's `tools.ArgsParser`: words split on spaces outside double quotes, the quotes dropped. */
export function splitArguments(query: string): string[] {
  const words: string[] = [];
  let current = "";
  let quoted = false;
  const flush = () => {
    const word = current.replaceAll('"', "").trim();
    if (word !== "") words.push(word);
    current = "";
  };
  for (const char of query) {
    if (char === '"') quoted = !quoted;
    if (!quoted && char === " ") flush();
    else current += char;
  }
  flush();
  return words;
}

/**
 * Mailpit's `cleanString`, applied to search words and to the text they are looked for in: line
 * breaks, tabs and `<>",;()` become spaces, runs of spaces one, and everything lower case.
 */
export function cleanString(text: string): string {
  return text
    .replaceAll("\uFEFF", " ")
    .replace(/\r?\n|\t|[<>",;()]/g, " ")
    .split(/\s+/)
    .filter((word) => word !== "")
    .join(" ")
    .toLowerCase();
}

const ADDRESS_FIELDS = {
  "to:": (c: SearchCandidate) => c.summary.to,
  "from:": (c: SearchCandidate) => c.summary.from.slice(0, 1),
  "cc:": (c: SearchCandidate) => c.summary.cc,
  "bcc:": async (c: SearchCandidate) => (await c.facts()).bcc,
  "reply-to:": async (c: SearchCandidate) => (await c.facts()).replyTo,
} as const;

function compileTerm(word: string, timeZone: string | undefined): Term | null {
  if (cleanString(word) === "") return null;
  let w = word;
  const exclude = w.length > 1 && (w.startsWith("-") || w.startsWith("!"));
  if (exclude) w = w.slice(1);
  const lw = w.toLowerCase();
  const term = (needsFacts: boolean, test: Term["test"]): Term => ({ exclude, needsFacts, test });

  for (const [prefix, addresses] of Object.entries(ADDRESS_FIELDS)) {
    if (!lw.startsWith(prefix)) continue;
    const needle = cleanString(w.slice(prefix.length));
    if (needle === "") return null;
    return term(prefix === "bcc:" || prefix === "reply-to:", async (c) =>
      anyAddress(await addresses(c), needle),
    );
  }
  if (lw.startsWith("addressed:")) {
    const needle = cleanString(w.slice("addressed:".length));
    if (needle === "") return null;
    return term(true, async (c) => {
      const { bcc, replyTo } = await c.facts();
      const { to, from, cc } = c.summary;
      return anyAddress([...to, ...from.slice(0, 1), ...cc, ...bcc, ...replyTo], needle);
    });
  }
  if (lw.startsWith("subject:")) {
    // Mailpit does not clean this one: punctuation in a subject counts.
    const needle = w.slice("subject:".length).toLowerCase();
    if (needle === "") return null;
    return term(false, (c) => c.summary.subject.toLowerCase().includes(needle));
  }
  if (lw.startsWith("message-id:")) {
    const needle = cleanString(w.slice("message-id:".length));
    if (needle === "") return null;
    return term(false, (c) => bareMessageId(c.summary.messageId).toLowerCase().includes(needle));
  }
  if (lw.startsWith("tag:")) {
    const tag = cleanString(w.slice("tag:".length));
    if (tag === "") return null;
    return term(true, async (c) => (await c.facts()).tags.some((t) => t.toLowerCase() === tag));
  }
  if (lw === "is:read") return term(false, (c) => c.summary.read);
  if (lw === "is:unread") return term(false, (c) => !c.summary.read);
  if (lw === "is:tagged") return term(true, async (c) => (await c.facts()).tags.length > 0);
  if (lw === "has:inline" || lw === "has:inlines")
    return term(true, async (c) => (await c.facts()).inlines > 0);
  if (lw === "has:attachment" || lw === "has:attachments") {
    return term(true, async (c) => (await c.facts()).attachments > 0);
  }
  for (const [prefix, after] of [
    ["after:", true],
    ["before:", false],
  ] as const) {
    if (!lw.startsWith(prefix)) continue;
    const text = cleanString(w.slice(prefix.length)).toUpperCase();
    if (text === "") return null;
    const instant = parseMailpitDate(text, timeZone);
    if (instant === null) return null; // Mailpit logs "ignoring invalid date" and drops the term.
    // Mailpit compares whole milliseconds, both ends included; a negated term keeps the boundary too.
    const received = (c: SearchCandidate) => Math.floor(c.summary.receivedTime);
    if (exclude)
      return {
        exclude: false,
        needsFacts: false,
        test: (c) => (after ? received(c) <= instant : received(c) >= instant),
      };
    return term(false, (c) => (after ? received(c) >= instant : received(c) <= instant));
  }
  for (const [prefix, larger] of [
    ["larger:", true],
    ["smaller:", false],
  ] as const) {
    if (!lw.startsWith(prefix)) continue;
    const size = sizeToBytes(cleanString(w.slice(prefix.length)));
    if (size <= 0) break; // Not a size: Mailpit searches the text for the whole word.
    if (exclude)
      return {
        exclude: false,
        needsFacts: false,
        test: (c) => (larger ? c.summary.size < size : c.summary.size > size),
      };
    return term(false, (c) => (larger ? c.summary.size > size : c.summary.size < size));
  }
  const needle = cleanString(w);
  return term(true, async (c) => (await c.facts()).searchText.includes(needle));
}

function anyAddress(addresses: readonly Address[], needle: string): boolean {
  return addresses.some(
    (a) => a.name.toLowerCase().includes(needle) || a.address.toLowerCase().includes(needle),
  );
}

/** Mailpit's `sizeToBytes`: `2kb`, `4MB`, `1.5m`, or a plain number of bytes; 0 for anything else. */
export function sizeToBytes(value: string): number {
  const match = /^(\d+)(\.\d+)?\s?([a-z]{1,2})?$/.exec(value.toLowerCase());
  if (match === null) return 0;
  const amount = Number(`${match[1]}${match[2] ?? ""}`);
  const unit = match[3] ?? "";
  if (unit === "") return Math.trunc(amount);
  if (unit === "k" || unit === "kb") return Math.trunc(amount * 1024);
  if (unit === "m" || unit === "mb") return Math.trunc(amount * 1024 * 1024);
  return 0;
}

/** Mailpit stores Message-IDs without their angle brackets. */
export function bareMessageId(messageId: string | null): string {
  return (messageId ?? "").replace(/^<|>$/g, "");
}
