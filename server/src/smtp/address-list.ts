import type { Address } from "../store/model.js";
import { decodeEncodedWords } from "./encoded-words.js";

/**
 * An address header (`From`, `To`, `Cc`, `Bcc`, `Reply-To`) as RFC 5322 §3.4 writes it, read the
 * same way whichever parser read the rest of the message. Both parsers' own readers (nodemailer's
 * address parser, which PostalMime copies) took a bare local part (`To: root, Bob <bob@x>`, as
 * cron and sendmail write on one host) for the start of the next display name, giving
 * `{ name: "root, Bob" }`; PostalMime kept only the first of several `From` mailboxes (§3.6.2 allows
 * several, with a `Sender`); and they unfolded display names differently, so a name changed with
 * the message's size.
 *
 * Rules, which Python's `email.utils.getaddresses` also follows: a display name's words are joined
 * by one space and its encoded words (RFC 2047) decoded after the list is split, so an encoded comma
 * stays in the name; a group's members are listed (the group's name is not an address); comments
 * are dropped, and an `addr-spec` followed by one takes it as its name (`a@b (Ann)`, the obsolete
 * form); a lone word is an address (`root`); several words without an address are a name; words
 * before an unbracketed `addr-spec` (`John Doe john@x`) are its name. Addresses are kept as sent
 * (a punycode domain stays punycode, so a search for what the app sent finds it).
 *
 * One pass over the value, and one over each mailbox's tokens: hostile headers of 500 KB (commas,
 * colons, brackets) cost milliseconds, not minutes.
 */
export function parseAddressList(value: string): Address[] {
  const addresses: Address[] = [];
  let mailbox: Token[] = [];
  let bracketed = false;
  const flush = () => {
    addresses.push(...toAddresses(mailbox));
    mailbox = [];
    bracketed = false;
  };
  for (const token of tokenize(value)) {
    if (token.kind === "special" && (token.text === "," || token.text === ";")) {
      flush();
    } else if (token.kind === "special" && token.text === ":" && !bracketed) {
      // A group's name (`Team: a@x, b@x;`) is not a mailbox; its members follow.
      mailbox = [];
    } else {
      if (token.kind === "angle") bracketed = true;
      mailbox.push(token);
    }
  }
  flush();
  return addresses;
}

interface Token {
  kind: "atom" | "quoted" | "comment" | "angle" | "literal" | "special";
  text: string;
  /** Whitespace (or a comment) came before it: it does not continue the token before. */
  spaced: boolean;
}

/**
 * One mailbox's tokens (between commas) as addresses: one, none, or several where commas are
 * missing (`a@x b@y`). Iterative, over precomputed positions: each token is looked at a bounded
 * number of times, however the header is built.
 */
function toAddresses(tokens: Token[]): Address[] {
  const words = tokens.filter(
    (token) => token.kind !== "comment" && !(token.kind === "special" && token.text !== "@"),
  );
  // nextAngle[k]: the first angle address at or after k, or -1.
  const nextAngle = new Array<number>(words.length + 1).fill(-1);
  for (let k = words.length - 1; k >= 0; k--)
    nextAngle[k] = words[k]!.kind === "angle" ? k : nextAngle[k + 1]!;
  const addresses: Address[] = [];
  let i = 0;
  while (i < words.length) {
    const angle = nextAngle[i]!;
    if (angle !== -1) {
      // Everything before the brackets is the name, an unquoted `@` included (`ann@x <ann@x>`).
      const name = displayName(words.slice(i, angle));
      const address = withoutRoute(words[angle]!.text);
      if (address !== "" || name !== "") addresses.push({ name, address });
      i = angle + 1;
      continue;
    }
    let at = i;
    while (at < words.length && !isAt(words[at]!)) at++;
    if (at === words.length) {
      const rest = words.slice(i);
      if (rest.length > 1) addresses.push({ name: displayName(rest), address: "" });
      else
        addresses.push({ name: addresses.length === 0 ? commentName(tokens) : "", address: specText(rest) });
      break;
    }
    // The addr-spec is the run of tokens around the `@` with no whitespace between them; words
    // before it are its name (`John Doe john@example.test`), as the obsolete forms allow.
    let start = at;
    while (start > i && !words[start]!.spaced) start--;
    let end = at + 1;
    while (end < words.length && !words[end]!.spaced) end++;
    const before = words.slice(i, start);
    const name = before.length > 0 ? displayName(before) : addresses.length === 0 ? commentName(tokens) : "";
    addresses.push({ name, address: specText(words.slice(start, end)) });
    i = end;
  }
  return addresses;
}

/** The `@` of an addr-spec: a special, not a quoted string that holds one (`"@" <a@x>`). */
function isAt(token: Token): boolean {
  return token.kind === "special" && token.text === "@";
}

/** The first non-empty comment, decoded: the name of the obsolete `addr-spec (Name)` form. */
function commentName(tokens: Token[]): string {
  const comment = tokens.find((token) => token.kind === "comment" && token.text.trim() !== "");
  return comment === undefined ? "" : decodeEncodedWords(comment.text.trim());
}

/** An addr-spec's tokens as one address: a quoted local part keeps its quotes. */
function specText(tokens: Token[]): string {
  return tokens.map((token) => (token.kind === "quoted" ? quote(token.text) : token.text)).join("");
}

/** Words of a display name, one space between them, encoded words decoded (adjacent ones joined). */
function displayName(tokens: Token[]): string {
  let name = "";
  tokens.forEach((token, i) => {
    // An unquoted `@` in a name (`ann@example.test <ann@example.test>`) keeps its neighbours.
    const previous = tokens[i - 1];
    const glued = isAt(token) || (previous !== undefined && isAt(previous));
    name += i === 0 || glued ? token.text : ` ${token.text}`;
  });
  return decodeEncodedWords(name.trim());
}

/** `<@relay.example:ann@example.test>` (an obsolete source route) is `ann@example.test`. */
function withoutRoute(address: string): string {
  const colon = address.startsWith("@") ? address.indexOf(":") : -1;
  return colon === -1 ? address : address.slice(colon + 1);
}

function quote(text: string): string {
  return `"${text.replace(/(["\\])/g, "\\$1")}"`;
}

/** Atoms (with dots), quoted strings, comments, `[domain literals]`, `<angle addresses>` and `, : ; @`. */
function tokenize(value: string): Token[] {
  const tokens: Token[] = [];
  const lastClose = value.lastIndexOf(">");
  let atom = "";
  let spaced = false;
  const push = (kind: Token["kind"], text: string) => {
    tokens.push({ kind, text, spaced });
    spaced = false;
  };
  const endAtom = () => {
    if (atom !== "") push("atom", atom);
    atom = "";
  };
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '"') {
      endAtom();
      const [text, next] = readQuoted(value, i);
      push("quoted", text);
      i = next;
    } else if (char === "(") {
      endAtom();
      const [text, next] = readComment(value, i);
      push("comment", text);
      spaced = true;
      i = next;
    } else if (char === "[") {
      endAtom();
      const close = value.indexOf("]", i + 1);
      const end = close === -1 ? value.length - 1 : close;
      push("literal", value.slice(i, end + 1));
      i = end;
    } else if (char === "<") {
      endAtom();
      const [text, next] = readAngle(value, i, lastClose);
      push("angle", text);
      i = next;
    } else if (char === "," || char === ":" || char === ";" || char === "@") {
      endAtom();
      push("special", char);
    } else if (char === " " || char === "\t" || char === "\r" || char === "\n") {
      endAtom();
      spaced = true;
    } else if (char === ">" || char === ")") {
      // A stray closing bracket is no part of an address.
      endAtom();
      spaced = true;
    } else {
      atom += char;
    }
  }
  endAtom();
  return tokens;
}

/** The quoted string opening at `start` (unescaped), and the index of its closing quote. */
function readQuoted(value: string, start: number): [string, number] {
  let text = "";
  let i = start + 1;
  for (; i < value.length && value[i] !== '"'; i++) {
    if (value[i] === "\\" && i + 1 < value.length) i++;
    text += value[i];
  }
  return [text, i];
}

/** The comment opening at `start` (nested, escapes undone), and the index of its closing parenthesis. */
function readComment(value: string, start: number): [string, number] {
  let depth = 1;
  let text = "";
  let i = start + 1;
  for (; i < value.length; i++) {
    if (value[i] === "\\" && i + 1 < value.length) {
      text += value[++i];
      continue;
    }
    if (value[i] === "(") depth++;
    if (value[i] === ")" && --depth === 0) break;
    text += value[i];
  }
  return [text, i];
}

/**
 * The address inside the angle brackets opening at `start`, and the index of the closing one: the
 * first `>` outside a quoted string, a comment or a domain literal. Comments and the whitespace
 * around the address's parts are dropped (`<pete(his account)@silly.test>` is pete@silly.test);
 * a quoted local part keeps its quotes and its spaces. An unclosed bracket ends at the next comma,
 * so the recipients after it are not swallowed.
 */
function readAngle(value: string, start: number, lastClose: number): [string, number] {
  let address = "";
  let i = start + 1;
  for (; i < value.length; i++) {
    const char = value[i]!;
    if (char === ">") break;
    if (char === "," && i > lastClose) return [address, i - 1];
    if (char === '"') {
      const [text, next] = readQuoted(value, i);
      address += quote(text);
      i = next;
    } else if (char === "(") {
      i = readComment(value, i)[1];
    } else if (char === "[") {
      const close = value.indexOf("]", i + 1);
      const end = close === -1 ? value.length - 1 : close;
      address += value.slice(i, end + 1).replace(/\s+/g, "");
      i = end;
    } else if (char !== " " && char !== "\t" && char !== "\r" && char !== "\n") {
      address += char;
    }
  }
  return [address, i];
}
