/**
 * RFC 5322 section 3.4 address lists over byte strings, for IMAP's ENVELOPE: display names and local
 * parts are returned as written (encoded words left encoded: the client decodes them), groups as
 * start and end markers. Lenient like the readers real mail needs: a comment stands in for a missing
 * display name, a missing ">" or ";" ends at the end of the header.
 */
export type AddressItem =
  | { kind: "mailbox"; name: string | null; route: string | null; mailbox: string; host: string | null }
  | { kind: "group-start"; name: string }
  | { kind: "group-end" };

type Token =
  | { type: "atom" | "quoted" | "comment" | "literal"; value: string }
  | { type: "special"; value: string };

/** Addresses beyond this many are ignored: an ENVELOPE is a summary, not an archive. */
const MAX_ADDRESSES = 1_000;

export function parseAddressList(header: string): AddressItem[] {
  const tokens = tokenize(header);
  const items: AddressItem[] = [];
  let i = 0;
  const at = (offset = 0): Token | undefined => tokens[i + offset];
  const isSpecial = (token: Token | undefined, value: string) =>
    token?.type === "special" && token.value === value;

  while (i < tokens.length && items.length < MAX_ADDRESSES) {
    if (isSpecial(at(), ",") || isSpecial(at(), ";")) {
      i += 1;
      continue;
    }
    // A group is a phrase followed by ":" outside angle brackets.
    const colon = groupColon(tokens, i);
    if (colon !== -1) {
      items.push({ kind: "group-start", name: phrase(tokens.slice(i, colon)) });
      i = colon + 1;
      while (i < tokens.length && !isSpecial(at(), ";") && items.length < MAX_ADDRESSES) {
        if (isSpecial(at(), ",")) {
          i += 1;
          continue;
        }
        const end = segmentEnd(tokens, i, true);
        const mailbox = parseMailbox(tokens.slice(i, end));
        if (mailbox) items.push(mailbox);
        i = end;
      }
      i += 1; // the ";"
      items.push({ kind: "group-end" });
      continue;
    }
    const end = segmentEnd(tokens, i, false);
    const mailbox = parseMailbox(tokens.slice(i, end));
    if (mailbox) items.push(mailbox);
    i = end;
  }
  return items;
}

/** Index of the ":" that makes the address at `start` a group, or -1. */
function groupColon(tokens: Token[], start: number): number {
  for (let i = start; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type !== "special") continue;
    if (token.value === ":") return i;
    if (token.value !== ".") return -1;
  }
  return -1;
}

/** End of one address: the next "," (or ";" inside a group) outside angle brackets. */
function segmentEnd(tokens: Token[], start: number, inGroup: boolean): number {
  let angle = false;
  for (let i = start; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type !== "special") continue;
    if (token.value === "<") angle = true;
    else if (token.value === ">") angle = false;
    else if (!angle && (token.value === "," || (inGroup && token.value === ";"))) return i;
  }
  return tokens.length;
}

function parseMailbox(tokens: Token[]): AddressItem | null {
  const open = tokens.findIndex((token) => token.type === "special" && token.value === "<");
  let name: string | null;
  let spec: Token[];
  let route: string | null = null;
  if (open !== -1) {
    const close = tokens.findIndex((token, i) => i > open && token.type === "special" && token.value === ">");
    name = phrase(tokens.slice(0, open)) || null;
    spec = tokens.slice(open + 1, close === -1 ? tokens.length : close).filter((t) => t.type !== "comment");
    if (spec[0]?.type === "special" && spec[0].value === "@") {
      const colon = spec.findIndex((token) => token.type === "special" && token.value === ":");
      if (colon !== -1) {
        route = join(spec.slice(0, colon));
        spec = spec.slice(colon + 1);
      }
    }
  } else {
    const comments = tokens.filter((token) => token.type === "comment");
    name = comments.length > 0 ? comments.at(-1)!.value.trim() || null : null;
    spec = tokens.filter((token) => token.type !== "comment");
  }
  const atSign = spec.findLastIndex((token) => token.type === "special" && token.value === "@");
  const mailbox = join(atSign === -1 ? spec : spec.slice(0, atSign));
  const host = atSign === -1 ? null : join(spec.slice(atSign + 1)) || null;
  if (mailbox === "" && host === null && name === null) return null;
  return { kind: "mailbox", name, route, mailbox, host };
}

/** A display name: words separated by single spaces, quoted strings unquoted, "." kept with its word. */
function phrase(tokens: Token[]): string {
  let out = "";
  for (const token of tokens) {
    if (token.type === "comment") continue;
    if (token.type === "special" && token.value === ".") {
      out += ".";
      continue;
    }
    out += out === "" || out.endsWith(" ") ? token.value : ` ${token.value}`;
  }
  return out.trim();
}

/** A local part, domain or route as written: no spaces, quoted strings re-quoted. */
function join(tokens: Token[]): string {
  return tokens
    .map((token) => (token.type === "quoted" ? `"${token.value.replace(/(["\\])/g, "\\$1")}"` : token.value))
    .join("");
}

const SPECIALS = '()<>[]:;@\\,."';

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === " " || char === "\t" || char === "\r" || char === "\n") {
      i += 1;
    } else if (char === '"') {
      let value = "";
      i += 1;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i += 1;
        value += text[i];
        i += 1;
      }
      i += 1;
      tokens.push({ type: "quoted", value });
    } else if (char === "(") {
      let depth = 0;
      let value = "";
      for (; i < text.length; i++) {
        const c = text[i]!;
        if (c === "\\" && i + 1 < text.length) {
          i += 1;
          value += text[i];
          continue;
        }
        if (c === "(") {
          depth += 1;
          if (depth === 1) continue;
        } else if (c === ")") {
          depth -= 1;
          if (depth === 0) {
            i += 1;
            break;
          }
        }
        value += c;
      }
      tokens.push({ type: "comment", value });
    } else if (char === "[") {
      const close = text.indexOf("]", i);
      const end = close === -1 ? text.length : close + 1;
      tokens.push({ type: "literal", value: text.slice(i, end) });
      i = end;
    } else if (SPECIALS.includes(char)) {
      tokens.push({ type: "special", value: char });
      i += 1;
    } else {
      let value = "";
      while (i < text.length && !SPECIALS.includes(text[i]!) && !/[\s]/.test(text[i]!)) {
        value += text[i];
        i += 1;
      }
      tokens.push({ type: "atom", value });
    }
  }
  return tokens;
}
