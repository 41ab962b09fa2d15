/**
 * A recipient pattern of `--relay-allow` and of auto-relay rules: an address in which `*` stands
 * for any run of characters except `@`, compared without regard to case. `*@example.com` is every
 * address at example.com (not at its subdomains: `*@*.example.com` says those); `qa+*@corp.test`
 * is every plus-address of qa. A pattern must name both sides of the `@`, so no pattern allows more
 * than it reads as; `*@*` allows everything and says so.
 */
export interface RecipientPattern {
  readonly source: string;
  matches(address: string): boolean;
}

const PATTERN_SYNTAX = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;

/** Throws a `TypeError` that shows the expected shape. */
export function compileRecipientPattern(source: string): RecipientPattern {
  const trimmed = source.trim();
  if (!PATTERN_SYNTAX.test(trimmed)) {
    throw new TypeError(
      `Expected a recipient pattern like "*@example.com" or "qa+*@corp.test" (one "@", "*" for any characters), got ${JSON.stringify(source)}`,
    );
  }
  const expression = new RegExp(
    `^${trimmed
      .split("*")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join("[^@]*")}$`,
    "i",
  );
  const routed = ROUTED.test(trimmed);
  return {
    source: trimmed,
    // `*` stands for characters of one mailbox: a `%` or `!` in the local part routes mail onward
    // on relays that still honour them (`evil%gmail.com@corp.test`), so only a pattern that writes
    // one itself matches such an address.
    matches: (address) => expression.test(address) && (routed || !ROUTED.test(address)),
  };
}

/** A `%` or `!` in the local part: the percent hack and UUCP bang paths. */
const ROUTED = /[%!][^@]*@|^[^@]*[%!]/;

/** Whether any pattern allows the address. */
export function isAllowed(patterns: readonly RecipientPattern[], address: string): boolean {
  return patterns.some((pattern) => pattern.matches(address));
}
