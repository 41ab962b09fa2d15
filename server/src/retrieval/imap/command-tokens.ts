import type { CommandPart } from "./command-reader.js";

/**
 * The lexical layer of IMAP commands (RFC 3501 section 9): atoms, quoted strings, literals and
 * parenthesized lists. An "atom" here is any run of non-special characters, including a bracketed
 * section (`BODY.PEEK[HEADER.FIELDS (FROM)]<0.100>`); what each argument may hold is checked by the
 * command that reads it (`ArgumentReader`).
 */
export type Token =
  | { kind: "atom"; text: string }
  | { kind: "string"; bytes: Buffer; literal: boolean }
  | { kind: "list"; items: Token[] };

/** Malformed input: answered BAD with this message, and the session goes on. */
export class CommandSyntaxError extends Error {
  override name = "CommandSyntaxError" as const;
}

/** Bounds on what one command may build (nesting depth, token count). */
const MAX_DEPTH = 16;
const MAX_TOKENS = 10_000;

/**
 * Tokenizes the parts of a command after its tag. Literals appear where their `{n}` announcement
 * ended a line.
 */
export function tokenize(parts: readonly CommandPart[], startAt: number): Token[] {
  const state = { tokens: 0 };
  const root: Token[] = [];
  const stack: Token[][] = [root];
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index]!;
    if ("literal" in part) continue; // taken with the line that announced it
    const line = part.line;
    let i = index === 0 ? startAt : 0;
    while (i < line.length) {
      const char = line[i]!;
      const current = stack.at(-1)!;
      if (++state.tokens > MAX_TOKENS) throw new CommandSyntaxError("too many arguments");
      if (char === " ") {
        i += 1;
        state.tokens -= 1;
      } else if (char === "(") {
        if (stack.length > MAX_DEPTH) throw new CommandSyntaxError("lists nested too deeply");
        const list: Token = { kind: "list", items: [] };
        current.push(list);
        stack.push(list.items);
        i += 1;
      } else if (char === ")") {
        if (stack.length === 1) throw new CommandSyntaxError("unexpected )");
        stack.pop();
        i += 1;
      } else if (char === '"') {
        const [text, next] = quoted(line, i);
        current.push({ kind: "string", bytes: Buffer.from(text, "latin1"), literal: false });
        i = next;
      } else if (char === "{") {
        const announcement = /^\{(\d{1,20})\+?\}$/.exec(line.slice(i));
        const literal = parts[index + 1];
        if (!announcement || !literal || !("literal" in literal)) {
          throw new CommandSyntaxError("a literal must be announced as {n} at the end of a line");
        }
        current.push({ kind: "string", bytes: literal.literal, literal: true });
        i = line.length;
      } else if (char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f) {
        throw new CommandSyntaxError(`control character 0x${char.charCodeAt(0).toString(16)} in command`);
      } else {
        const [text, next] = atom(line, i);
        current.push({ kind: "atom", text });
        i = next;
      }
    }
  }
  if (stack.length > 1) throw new CommandSyntaxError("missing )");
  return root;
}

function quoted(line: string, start: number): [string, number] {
  let text = "";
  let i = start + 1;
  while (i < line.length) {
    const char = line[i]!;
    if (char === '"') return [text, i + 1];
    if (char === "\\") {
      const next = line[i + 1];
      if (next !== '"' && next !== "\\")
        throw new CommandSyntaxError('only \\" and \\\\ may be escaped in a quoted string');
      text += next;
      i += 2;
      continue;
    }
    text += char;
    i += 1;
  }
  throw new CommandSyntaxError("unterminated quoted string");
}

/** An atom-like run; a "[" opens a section that may hold spaces and parentheses up to its "]". */
function atom(line: string, start: number): [string, number] {
  let i = start;
  while (i < line.length) {
    const char = line[i]!;
    if (char === "[") {
      const close = line.indexOf("]", i);
      if (close === -1) throw new CommandSyntaxError("missing ]");
      i = close + 1;
      continue;
    }
    if (char === " " || char === "(" || char === ")" || char === '"' || char === "{") break;
    if (char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f) break;
    i += 1;
  }
  return [line.slice(start, i), i];
}
