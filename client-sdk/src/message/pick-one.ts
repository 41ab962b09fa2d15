import { AmbiguousMatchError } from "../errors/ambiguous-match-error.js";
import { NoMatchError } from "../errors/no-match-error.js";

export interface PickOneContext<T> {
  /** `link with text /confirm/i`: what was asked for. */
  wanted: string;
  /** `#7 "Welcome"`: which message. */
  message: string;
  /** Plural noun for the listing: "links", "attachments". */
  noun: string;
  /** Everything of that kind in the message, as shown when nothing matched. */
  all: readonly string[];
  describe(item: T): string;
}

/**
 * The one item that matched, or an error that lists what there was: a test that picked the first
 * of several links would pass for the wrong reason, so ambiguity is an error too.
 */
export function pickOne<T>(found: readonly T[], context: PickOneContext<T>): T {
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    const held =
      context.all.length === 0
        ? `it has no ${context.noun}`
        : `its ${context.noun}:\n${bullets(context.all)}`;
    throw new NoMatchError(`No ${context.wanted} in message ${context.message}; ${held}`, context.all);
  }
  const candidates = found.map((item) => context.describe(item));
  throw new AmbiguousMatchError(
    `${found.length} different ${context.noun} match (${context.wanted}) in message ${context.message}; narrow the filter:\n${bullets(candidates)}`,
    candidates,
  );
}

export function bullets(lines: readonly string[]): string {
  return lines.map((line) => `  - ${line}`).join("\n");
}
