import { CommandSyntaxError, type Token } from "./command-tokens.js";

/** RFC 3501 ATOM-CHAR: no specials, no wildcards, no "]" (used for flags and plain atoms). */
const ATOM = /^[^\s(){%*"\\\]\x00-\x1f\x7f]+$/;
/**
 * ASTRING-CHAR adds "]". "*" and "%" are accepted too: Python's imaplib sends `LOGIN * pass`
 * unquoted, and "*" is the default catch-all login.
 */
const ASTRING_ATOM = /^[^\s(){"\\\x00-\x1f\x7f]+$/;
/** A LIST pattern may also hold the wildcards. */
const LIST_ATOM = /^[^\s(){"\\\x00-\x1f\x7f]+$/;

/**
 * Reads the arguments of one command, one grammar element at a time, and says what was expected
 * when the client sent something else (thrown as `CommandSyntaxError`, answered BAD).
 */
export class ArgumentReader {
  readonly #tokens: readonly Token[];
  #position = 0;

  constructor(tokens: readonly Token[]) {
    this.#tokens = tokens;
  }

  get done(): boolean {
    return this.#position >= this.#tokens.length;
  }

  peek(): Token | undefined {
    return this.#tokens[this.#position];
  }

  /** The next token, whatever it is. */
  next(what: string): Token {
    const token = this.#tokens[this.#position];
    if (!token) throw new CommandSyntaxError(`missing ${what}`);
    this.#position += 1;
    return token;
  }

  /** An atom (its text as sent; compare case-insensitively where the grammar says so). */
  atom(what: string, pattern: RegExp = ATOM): string {
    const token = this.next(what);
    if (token.kind !== "atom" || !pattern.test(token.text)) {
      throw new CommandSyntaxError(`expected ${what}, got ${describe(token)}`);
    }
    return token.text;
  }

  /** An atom from a fixed set, uppercased. */
  keyword<T extends string>(what: string, allowed: readonly T[]): T {
    const token = this.next(what);
    const text = token.kind === "atom" ? token.text.toUpperCase() : "";
    if (!(allowed as readonly string[]).includes(text)) {
      throw new CommandSyntaxError(`expected ${what} (${allowed.join(", ")}), got ${describe(token)}`);
    }
    return text as T;
  }

  /** A number (RFC 3501 `number`: 32-bit unsigned). */
  number(what: string): number {
    const text = this.atom(what);
    if (!/^\d{1,10}$/.test(text) || Number(text) > 0xffffffff) {
      throw new CommandSyntaxError(`expected ${what} (a number), got ${JSON.stringify(text)}`);
    }
    return Number(text);
  }

  /** `astring`: an atom (with "]"), a quoted string or a literal, as bytes. */
  astringBytes(what: string, pattern: RegExp = ASTRING_ATOM): Buffer {
    const token = this.next(what);
    if (token.kind === "string") return token.bytes;
    if (token.kind === "atom" && pattern.test(token.text)) return Buffer.from(token.text, "latin1");
    throw new CommandSyntaxError(`expected ${what}, got ${describe(token)}`);
  }

  /** `astring` as text (UTF-8, which is what clients put in quoted strings and literals). */
  astring(what: string): string {
    return this.astringBytes(what).toString("utf8");
  }

  /** A LIST/LSUB pattern: an astring whose atom form may hold % and *. */
  listPattern(what: string): string {
    return this.astringBytes(what, LIST_ATOM).toString("utf8");
  }

  /** `string` (quoted or literal). */
  string(what: string): string {
    const token = this.next(what);
    if (token.kind !== "string")
      throw new CommandSyntaxError(`expected ${what} (a string), got ${describe(token)}`);
    return token.bytes.toString("utf8");
  }

  /** A parenthesized list, read by its own reader. */
  list(what: string): ArgumentReader {
    const token = this.next(what);
    if (token.kind !== "list")
      throw new CommandSyntaxError(`expected ${what} (a parenthesized list), got ${describe(token)}`);
    return new ArgumentReader(token.items);
  }

  /** Fails unless every argument was read. */
  end(): void {
    const extra = this.#tokens[this.#position];
    if (extra) throw new CommandSyntaxError(`unexpected ${describe(extra)} after the arguments`);
  }
}

export function describe(token: Token): string {
  switch (token.kind) {
    case "atom":
      return JSON.stringify(token.text.length > 40 ? `${token.text.slice(0, 40)}…` : token.text);
    case "string":
      return token.literal ? `a literal of ${token.bytes.length} bytes` : "a quoted string";
    case "list":
      return "a parenthesized list";
  }
}
