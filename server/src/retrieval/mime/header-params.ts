/**
 * `value; name=value; name="quoted value"` headers (Content-Type, Content-Disposition) over byte
 * strings, RFC 2045 section 5.1 and RFC 2183. Parameters are kept as written, in order: RFC 2231
 * continuations (`name*0*=…`) and encoded values are passed through for the client to decode, as
 * Dovecot does, so what a client sees is 7-bit whenever the message was.
 */
export interface ParameterizedValue {
  /** The value before the first ";", comments removed, trimmed (not lowercased). */
  value: string;
  /** [name, value] pairs in order; quoted values unquoted. */
  params: Array<[string, string]>;
}

/** Parameters kept per header; the rest are ignored (a bound on what one header can cost). */
const MAX_PARAMS = 64;

export function parseParameterized(header: string): ParameterizedValue {
  const reader = new Reader(header);
  const value = reader.until(";").trim();
  const params: Array<[string, string]> = [];
  while (reader.more() && params.length < MAX_PARAMS) {
    reader.skip(";");
    const name = reader.untilAny(";=").trim();
    if (!reader.more() || reader.peek() === ";") continue;
    reader.skip("=");
    reader.skipSpace();
    const paramValue = reader.peek() === '"' ? reader.quoted() : reader.until(";").trim();
    if (/^[\x21-\x7e]+$/.test(name)) params.push([name, paramValue]);
  }
  return { value, params };
}

export interface ContentType {
  /** Lowercase, e.g. "text". */
  type: string;
  /** Lowercase, e.g. "plain". */
  subtype: string;
  params: Array<[string, string]>;
}

/**
 * The Content-Type of a part; `fallback` when the header is missing or unusable (RFC 2045
 * section 5.2: text/plain; charset=us-ascii, or message/rfc822 inside multipart/digest).
 */
export function parseContentType(
  header: string | undefined,
  fallback: "text/plain" | "message/rfc822",
): ContentType {
  const [defaultType, defaultSubtype] = fallback.split("/") as [string, string];
  const defaults: ContentType = {
    type: defaultType,
    subtype: defaultSubtype,
    params: fallback === "text/plain" ? [["charset", "US-ASCII"]] : [],
  };
  if (header === undefined) return defaults;
  const { value, params } = parseParameterized(header);
  const match = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*\/\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)$/.exec(value);
  if (!match) return defaults;
  return { type: match[1]!.toLowerCase(), subtype: match[2]!.toLowerCase(), params };
}

/** The first parameter called `name` (case-insensitive). */
export function paramValue(params: ReadonlyArray<[string, string]>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return params.find(([key]) => key.toLowerCase() === lower)?.[1];
}

/** A cursor over a header value that skips RFC 5322 comments outside quoted strings. */
class Reader {
  #position = 0;
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  more(): boolean {
    return this.#position < this.#text.length;
  }

  peek(): string {
    return this.#text.charAt(this.#position);
  }

  skip(char: string): void {
    if (this.peek() === char) this.#position += 1;
  }

  skipSpace(): void {
    while (this.more() && /\s/.test(this.peek())) this.#position += 1;
  }

  until(stop: string): string {
    return this.untilAny(stop);
  }

  /** Reads up to (not including) any of `stops`; comments are dropped, quoted strings kept as written. */
  untilAny(stops: string): string {
    let out = "";
    while (this.more()) {
      const char = this.peek();
      if (stops.includes(char)) break;
      if (char === "(") {
        this.#comment();
        continue;
      }
      if (char === '"') {
        out += `"${this.quoted()}"`;
        continue;
      }
      out += char;
      this.#position += 1;
    }
    return out;
  }

  /** A quoted string at the cursor, unescaped; an unterminated one runs to the end. */
  quoted(): string {
    let out = "";
    this.#position += 1;
    while (this.more()) {
      const char = this.peek();
      this.#position += 1;
      if (char === '"') return out;
      if (char === "\\" && this.more()) {
        out += this.peek();
        this.#position += 1;
        continue;
      }
      out += char;
    }
    return out;
  }

  #comment(): void {
    let depth = 0;
    while (this.more()) {
      const char = this.peek();
      this.#position += 1;
      if (char === "\\") this.#position += 1;
      else if (char === "(") depth += 1;
      else if (char === ")" && --depth === 0) return;
    }
  }
}
