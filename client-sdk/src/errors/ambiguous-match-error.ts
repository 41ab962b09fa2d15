import { isBrandedError } from "./brand.js";
import { MailnestError } from "./mailnest-error.js";

/**
 * `message.link()`, `message.code()` or `message.attachment()` found more than one candidate. Picking
 * the first would make a test pass for the wrong reason, so the caller narrows the filter instead.
 */
export class AmbiguousMatchError extends MailnestError {
  override name = "AmbiguousMatchError";
  readonly candidates: readonly string[];

  constructor(message: string, candidates: readonly string[]) {
    super(message);
    this.candidates = candidates;
  }
}

export function isAmbiguousMatchError(value: unknown): value is AmbiguousMatchError {
  return isBrandedError(value, ["AmbiguousMatchError"]);
}
