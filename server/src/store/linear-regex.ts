import type { RegexCompiler, TextTest } from "@mailnest/protocol";
import { RE2JS } from "re2js";

/**
 * Regular expressions from clients run on RE2 (re2js, a pure-JavaScript port): matching time is
 * linear in the input, so a hostile pattern such as `(a+)+$` cannot stall the server the way a
 * backtracking engine would. JavaScript syntax is translated first (named groups, `\d`, ...); what
 * RE2 refuses by design (lookaround, backreferences) is an `UnsupportedPatternError`, which the API
 * answers with 400 and the SDK answers by evaluating that part itself.
 */
export class UnsupportedPatternError extends Error {
  override readonly name = "UnsupportedPatternError" as const;
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`The pattern /${pattern}/ cannot run on the server's linear-time engine (RE2): ${reason}`);
  }
}

/** Compiled patterns by source and flags: waits test the same pattern against every new message. */
const cache = new Map<string, TextTest>();
const CACHE_LIMIT = 256;

export const compileLinearRegex: RegexCompiler = (source, flags) => {
  const key = `${flags}/${source}`;
  const cached = cache.get(key);
  if (cached) return cached;
  let flagBits = 0;
  if (flags.includes("i")) flagBits |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes("m")) flagBits |= RE2JS.MULTILINE;
  if (flags.includes("s")) flagBits |= RE2JS.DOTALL;
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(source), flagBits);
  } catch (error) {
    throw new UnsupportedPatternError(source, error instanceof Error ? error.message : String(error));
  }
  // `find` (a match anywhere), as RegExp.prototype.test does; `test`/`matches` want the whole input.
  const test: TextTest = { test: (value) => compiled.matcher(value).find() };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, test);
  return test;
};
