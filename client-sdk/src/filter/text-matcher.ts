import { REGEX_FLAGS, type WireTextMatcher } from "@mailnest/protocol";

/**
 * How a filter value matches a piece of text:
 * - a string: case-insensitive substring (`"welcome"` matches "Welcome aboard");
 * - a RegExp: tested as given (its `g`/`y` flags are dropped, so matching has no hidden state);
 * - `{ exact: string }`: the whole value, case-sensitive.
 */
export type TextMatcher = string | RegExp | { exact: string };

export interface CompiledTextMatcher {
  test(value: string): boolean;
  /** `"welcome"`, `/Welcome/i` or `exactly "Welcome"`: how error messages show it. */
  readonly description: string;
  /** The verb phrase for a failure: `does not contain "welcome"`, `does not match /Welcome/`. */
  readonly failure: string;
  /** The plain substring, when the server can evaluate this matcher itself. */
  readonly substring: string | null;
  /**
   * The matcher as the server takes it (`match` parameter), or null when only this side can run it
   * (a RegExp flag the wire does not carry, such as `v`).
   */
  readonly wire: WireTextMatcher | null;
}

export function isTextMatcher(value: unknown): value is TextMatcher {
  if (typeof value === "string") return value.length > 0;
  if (value instanceof RegExp) return true;
  if (typeof value !== "object" || value === null) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === "exact" && typeof (value as { exact: unknown }).exact === "string";
}

export const TEXT_MATCHER_EXPECTATION =
  'a non-empty string (substring, any case), a RegExp, or { exact: "…" }';

/** Callers validate with `isTextMatcher` first. */
export function compileTextMatcher(matcher: TextMatcher): CompiledTextMatcher {
  if (typeof matcher === "string") {
    const needle = matcher.toLowerCase();
    const shown = JSON.stringify(matcher);
    return {
      test: (value) => value.toLowerCase().includes(needle),
      description: shown,
      failure: `does not contain ${shown}`,
      substring: matcher,
      wire: { contains: matcher },
    };
  }
  if (matcher instanceof RegExp) {
    const pattern = new RegExp(matcher.source, matcher.flags.replace(/[gy]/g, ""));
    // `d` only adds match indices; other flags (`v`) change the syntax the server would read.
    const flags = pattern.flags.replace("d", "");
    const wireable = [...flags].every((flag) => REGEX_FLAGS.includes(flag));
    return {
      test: (value) => pattern.test(value),
      description: String(pattern),
      failure: `does not match ${String(pattern)}`,
      substring: null,
      wire: wireable ? (flags ? { regex: pattern.source, flags } : { regex: pattern.source }) : null,
    };
  }
  const expected = matcher.exact;
  const shown = JSON.stringify(expected);
  return {
    test: (value) => value === expected,
    description: `exactly ${shown}`,
    failure: `is not exactly ${shown}`,
    substring: null,
    wire: { exact: expected },
  };
}
