/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The `search_text` column: what a `text` filter compares with, so PostgreSQL can rule out messages
 * whose body does not contain the needle without sending their parsed views. It holds
 * `visibleText.toLowerCase()`, the very string `matchesVisibleText` searches, and `strpos` on it
 * finds a well-formed needle exactly where `includes` does (both sides lowercased whole, the same
 * way; UTF-8 is self-synchronizing). Text that PostgreSQL cannot hold as it is (a NUL, a lone
 * surrogate, which UTF-8 would write as U+FFFD) gets NULL instead, and such rows always go on to the
 * full check: the filter in SQL may let through more than match, never fewer.
 */
export function searchColumn(visibleText: string): string | null {
  const lowered = visibleText.toLowerCase();
  return lowered.includes("\u0000") || LONE_SURROGATE.test(lowered) ? null : lowered;
}

/** The needle for `strpos`, or null when SQL cannot be trusted with it (the full check does it all). */
export function searchNeedle(textNeedle: string): string | null {
  return textNeedle.includes("\u0000") || textNeedle.includes("\ufffd") || LONE_SURROGATE.test(textNeedle)
    ? null
    : textNeedle;
}
