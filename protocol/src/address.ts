import { MAX_ADDRESS_LENGTH } from "./limits.js";

/**
 * The inbox key of an address: every envelope recipient that normalizes to the same key lands in
 * the same inbox. The one rule for the server, the SDK and the viewer.
 *
 * - Surrounding whitespace and one pair of angle brackets are removed (`" <Ada@X.org> "`).
 * - The domain is lowercased; an internationalized domain becomes its punycode (ASCII) form, so
 *   `user@bücher.example` and `user@xn--bcher-kva.example` are one inbox. Address literals
 *   (`[127.0.0.1]`) are only lowercased.
 * - The local part is lowercased too (Unicode-aware, after NFC normalization). RFC 5321 lets a server
 *   treat it case-sensitively, but no real mailbox provider does, and tests expect `Foo@x` and
 *   `foo@x` to meet in one inbox. UTF-8 local parts (SMTPUTF8) are kept, lowercased.
 * - A `+tag` is **kept**: `user+signup@x` and `user+reset@x` are separate inboxes, which is what a test
 *   sandbox wants (one tagged address per test, no cross-talk). Strip the tag in the test if one
 *   inbox is wanted.
 * - A quoted local part (RFC 5321 section 4.1.2, `"John Doe"@x`) is written one way: quoted pairs
 *   are unescaped, and the quotes are dropped when what they hold is a plain dot-string
 *   (`"john"@x` is `john@x`; RFC 5322 section 3.4.1 calls for the dot-atom form wherever it can be
 *   used); otherwise only `"` and `\` stay escaped: `"john doe"@x`, `"a\"b"@x`.
 * - Anything without an `@` (e.g. `postmaster`) is trimmed and lowercased as a whole.
 */
export function normalizeAddress(input: string): string {
  let address = input.trim();
  if (address.startsWith("<") && address.endsWith(">")) {
    address = address.slice(1, -1).trim();
  }
  const at = address.lastIndexOf("@");
  if (at === -1) {
    return address.normalize("NFC").toLowerCase();
  }
  const localPart = canonicalLocalPart(address.slice(0, at)).normalize("NFC").toLowerCase();
  return `${localPart}@${normalizeDomain(address.slice(at + 1))}`;
}

/** Whether two addresses name the same inbox. */
export function sameInbox(a: string, b: string): boolean {
  return normalizeAddress(a) === normalizeAddress(b);
}

/** RFC 5321 Quoted-string: DQUOTE, then characters other than DQUOTE and `\` or `\`-quoted pairs, DQUOTE. */
const QUOTED_STRING = /^"((?:[^"\\]|\\.)*)"$/su;
/** RFC 5321 Dot-string, with RFC 6531's UTF-8 characters in its atoms. */
const DOT_STRING =
  /^[\w!#$%&'*+/=?^`{|}~\u0080-\u{10ffff}-]+(?:\.[\w!#$%&'*+/=?^`{|}~\u0080-\u{10ffff}-]+)*$/u;

/** Whether a local part is one RFC 5321 Quoted-string (`"john doe"`), which may hold spaces, `<`, `>` and `@`. */
export function isQuotedLocalPart(localPart: string): boolean {
  return QUOTED_STRING.test(localPart);
}

function canonicalLocalPart(localPart: string): string {
  const quoted = QUOTED_STRING.exec(localPart);
  if (!quoted) return localPart;
  const text = (quoted[1] ?? "").replace(/\\(.)/gsu, "$1");
  return DOT_STRING.test(text) ? text : `"${text.replace(/["\\]/g, "\\$&")}"`;
}

// Characters that would make the WHATWG URL parser read more than a host name.
const NOT_A_HOST = /[\s/\\?#@:%[\]]/;

function normalizeDomain(domain: string): string {
  const lowered = domain.normalize("NFC").toLowerCase();
  if (lowered.startsWith("[") || /^[\x00-\x7f]*$/.test(lowered) || NOT_A_HOST.test(lowered)) {
    return lowered;
  }
  // IDNA ToASCII through the platform's URL parser (Node, browsers and edge runtimes alike);
  // a domain it cannot convert keeps its lowercased form.
  try {
    return new URL(`http://${lowered}/`).hostname || lowered;
  } catch {
    return lowered;
  }
}

/**
 * `input` as the inbox it names (`normalizeAddress`), or null when it names none: the API's address
 * parameters and the WebSocket's subscriptions both take addresses this way.
 */
export function inboxAddress(input: string): string | null {
  const address = normalizeAddress(input);
  return address.length <= MAX_ADDRESS_LENGTH && isMailbox(address) ? address : null;
}

/**
 * Whether a normalized address can name an inbox: local@domain with both parts present and no
 * whitespace, control characters or angle brackets, except that a quoted local part (RFC 5321
 * section 4.1.2, which SMTP accepts) may hold spaces and angle brackets: `"john doe"@example.test`
 * is an inbox like any other.
 */
function isMailbox(address: string): boolean {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at >= address.length - 1 || /[\x00-\x1f\x7f]/.test(address)) return false;
  const localPart = address.slice(0, at);
  const plain = (text: string) => !/[\s<>]/.test(text);
  return plain(address.slice(at + 1)) && (isQuotedLocalPart(localPart) || plain(localPart));
}
