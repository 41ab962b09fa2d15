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
  const untranslatable = untranslatableEscape(source, flags);
  if (untranslatable !== null) throw new UnsupportedPatternError(source, untranslatable);
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

/**
 * Escapes whose JavaScript meaning the translation to RE2 would change without an error, so the
 * server would answer a different question than the SDK's RegExp: `\k<name>` (a named backreference,
 * or a literal "k" outside named groups) came out as the literal text `k<name>`, and without the `u`
 * flag `\p{L}` is a literal "p{L}" in JavaScript but a Unicode class in RE2. Refused, so the SDK
 * checks the pattern itself.
 */
function untranslatableEscape(source: string, flags: string): string | null {
  for (let i = 0; i < source.length; i++) {
    if (source[i] !== "\\") continue;
    const next = source[i + 1];
    if (next === "k") return "named backreferences (\\k<name>) are not supported";
    if ((next === "p" || next === "P") && !flags.includes("u") && !flags.includes("v")) {
      return `\\${next} means a Unicode property only with the u flag; without it JavaScript reads the letter ${next}`;
    }
    i += 1;
  }
  return null;
}
