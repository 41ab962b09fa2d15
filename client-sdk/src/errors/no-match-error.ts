import { isBrandedError } from "./brand.js";
import { MailnestError } from "./mailnest-error.js";

/** `message.link()`, `message.code()` or `message.attachment()` found no candidate. */
export class NoMatchError extends MailnestError {
  override name = "NoMatchError";
  /** What was looked at instead (all links, all attachments, …), for the test output. */
  readonly available: readonly string[];

  constructor(message: string, available: readonly string[]) {
    super(message);
    this.available = available;
  }
}

export function isNoMatchError(value: unknown): value is NoMatchError {
  return isBrandedError(value, ["NoMatchError"]);
}
