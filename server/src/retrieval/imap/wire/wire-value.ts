/**
 * The values of IMAP server responses (RFC 3501 section 9, "Formal Syntax") and how they are
 * written. Strings are byte strings (latin1, one character per byte) so header bytes reach the
 * client as they arrived: a string is sent quoted when RFC 3501's `quoted` allows it, otherwise as
 * a literal.
 */
export type WireValue =
  /** NIL */
  | null
  | number
  /** A string (quoted or literal as needed). */
  | string
  /** A literal, exactly these bytes. */
  | Buffer
  /** Sent as is: flags (`\Seen`), keywords, response names, `BODY[1.MIME]<0>` labels. */
  | WireAtom
  /** Items written one after the other without separators (`1*body` in a multipart BODYSTRUCTURE). */
  | WireRun
  | WireValue[];

export interface WireAtom {
  atom: string;
}

export interface WireRun {
  run: WireValue[];
}

export function atom(text: string): WireAtom {
  return { atom: text };
}

/** Longest string sent quoted; longer ones go as literals, which clients read without scanning. */
const MAX_QUOTED = 1024;

/** RFC 3501 `quoted`: 7-bit text without CR, LF or NUL. */
function quotable(text: string): boolean {
  return text.length <= MAX_QUOTED && /^[\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(text);
}

/** Serialises values separated by single spaces into buffers (literal payloads are not copied). */
export function writeValues(values: readonly WireValue[]): Buffer[] {
  const out = new WireBuffer();
  values.forEach((value, index) => {
    if (index > 0) out.text(" ");
    write(out, value);
  });
  return out.finish();
}

function write(out: WireBuffer, value: WireValue): void {
  if (value === null) {
    out.text("NIL");
  } else if (typeof value === "number") {
    out.text(String(value));
  } else if (typeof value === "string") {
    if (quotable(value)) out.text(`"${value.replace(/(["\\])/g, "\\$1")}"`);
    else out.literal(withoutNul(Buffer.from(value, "latin1")));
  } else if (Buffer.isBuffer(value)) {
    out.literal(withoutNul(value));
  } else if (Array.isArray(value)) {
    out.text("(");
    value.forEach((item, index) => {
      if (index > 0) out.text(" ");
      write(out, item);
    });
    out.text(")");
  } else if ("run" in value) {
    for (const item of value.run) write(out, item);
  } else {
    out.text(value.atom);
  }
}

/**
 * NUL is the one octet a literal cannot carry (RFC 3501 `CHAR8`); like Dovecot, it is sent as 0x80,
 * so sizes (RFC822.SIZE, partial offsets) still hold.
 */
function withoutNul(bytes: Buffer): Buffer {
  if (!bytes.includes(0)) return bytes;
  const copy = Buffer.from(bytes);
  for (let i = copy.indexOf(0); i !== -1; i = copy.indexOf(0, i + 1)) copy[i] = 0x80;
  return copy;
}

class WireBuffer {
  readonly #chunks: Buffer[] = [];
  #pending = "";

  text(text: string): void {
    this.#pending += text;
  }

  literal(bytes: Buffer): void {
    this.#pending += `{${bytes.length}}\r\n`;
    this.#flush();
    if (bytes.length > 0) this.#chunks.push(bytes);
  }

  finish(): Buffer[] {
    this.#flush();
    return this.#chunks;
  }

  #flush(): void {
    if (this.#pending !== "") this.#chunks.push(Buffer.from(this.#pending, "latin1"));
    this.#pending = "";
  }
}
