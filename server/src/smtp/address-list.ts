import { domainToUnicode } from "node:url";
import libmime from "libmime";
import type { Address } from "../store/model.js";

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
 * stays in the name; a group's members are listed (the group's name is not an address); an
 * `addr-spec` followed by a comment takes the comment as its name (`a@b (Ann)`, the obsolete form);
 * a lone word is an address (`root`); several words without an address are a name.
 */
export function parseAddressList(value: string): Address[] {
  const addresses: Address[] = [];
  let mailbox: Token[] = [];
  const flush = () => {
    const address = toAddress(mailbox);
    if (address !== null) addresses.push(address);
    mailbox = [];
  };
  for (const token of tokenize(value)) {
    if (token.kind === "special" && (token.text === "," || token.text === ";")) {
      flush();
    } else if (token.kind === "special" && token.text === ":" && !mailbox.some(isAngle)) {
      // A group's name (`Team: a@x, b@x;`) is not a mailbox; its members follow.
      mailbox = [];
    } else {
      mailbox.push(token);
    }
  }
  flush();
  return addresses;
}

interface Token {
  kind: "atom" | "quoted" | "comment" | "angle" | "special";
  text: string;
}

const isAngle = (token: Token) => token.kind === "angle";

function toAddress(tokens: Token[]): Address | null {
  const angle = tokens.find(isAngle);
  if (angle !== undefined) {
    const before = tokens.slice(0, tokens.indexOf(angle)).filter((token) => token.kind !== "comment");
    const address = withoutRoute(angle.text);
    const name = displayName(before);
    return address === "" && name === "" ? null : { name, address: readableDomain(address) };
  }
  const comments = tokens.filter((token) => token.kind === "comment");
  const words = tokens.filter((token) => token.kind !== "comment");
  if (words.length === 0) return null;
  const spec = words.some((token) => token.kind === "special" && token.text === "@");
  if (spec || words.length === 1) {
    const address = words.map((token) => (token.kind === "quoted" ? quote(token.text) : token.text)).join("");
    const comment = comments.map((token) => token.text.trim()).find((text) => text !== "");
    return { name: comment === undefined ? "" : decode(comment), address: readableDomain(address) };
  }
  return { name: displayName(words), address: "" };
}

/** An internationalised domain sent as punycode (`xn--bcher-kva.example`) reads in Unicode, as mail clients show it. */
function readableDomain(address: string): string {
  const at = address.lastIndexOf("@");
  if (
    at === -1 ||
    !address
      .slice(at + 1)
      .toLowerCase()
      .includes("xn--")
  )
    return address;
  const domain = domainToUnicode(address.slice(at + 1));
  return domain === "" ? address : `${address.slice(0, at + 1)}${domain}`;
}

/** Words of a display name, one space between them, encoded words decoded (adjacent ones joined). */
function displayName(tokens: Token[]): string {
  let name = "";
  tokens.forEach((token, i) => {
    // An unquoted `@` in a name (`ann@example.test <ann@example.test>`) keeps its neighbours.
    const glued = token.text === "@" || tokens[i - 1]?.text === "@";
    name += i === 0 || (glued && token.kind !== "quoted") ? token.text : ` ${token.text}`;
  });
  return decode(name.trim());
}

function decode(text: string): string {
  return text.includes("=?") ? libmime.decodeWords(text) : text;
}

/** `<@relay.example:ann@example.test>` (an obsolete source route) is `ann@example.test`. */
function withoutRoute(address: string): string {
  const trimmed = address.trim();
  const colon = trimmed.startsWith("@") ? trimmed.indexOf(":") : -1;
  return (colon === -1 ? trimmed : trimmed.slice(colon + 1)).replace(/\s+/g, "");
}

function quote(text: string): string {
  return `"${text.replace(/(["\\])/g, "\\$1")}"`;
}

/** Atoms (with dots), quoted strings, comments, angle addresses and the specials `, : ; @`. */
function tokenize(value: string): Token[] {
  const tokens: Token[] = [];
  let atom = "";
  const endAtom = () => {
    if (atom !== "") tokens.push({ kind: "atom", text: atom });
    atom = "";
  };
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '"') {
      endAtom();
      let text = "";
      for (i++; i < value.length && value[i] !== '"'; i++) {
        if (value[i] === "\\" && i + 1 < value.length) i++;
        text += value[i];
      }
      tokens.push({ kind: "quoted", text });
    } else if (char === "(") {
      endAtom();
      let depth = 1;
      let text = "";
      for (i++; i < value.length; i++) {
        if (value[i] === "\\" && i + 1 < value.length) {
          text += value[++i];
          continue;
        }
        if (value[i] === "(") depth++;
        if (value[i] === ")" && --depth === 0) break;
        text += value[i];
      }
      tokens.push({ kind: "comment", text });
    } else if (char === "<") {
      endAtom();
      const close = value.indexOf(">", i + 1);
      const end = close === -1 ? value.length : close;
      tokens.push({ kind: "angle", text: value.slice(i + 1, end) });
      i = end;
    } else if (char === "," || char === ":" || char === ";" || char === "@") {
      endAtom();
      tokens.push({ kind: "special", text: char });
    } else if (char === " " || char === "\t" || char === "\r" || char === "\n") {
      endAtom();
    } else {
      atom += char;
    }
  }
  endAtom();
  return tokens;
}
