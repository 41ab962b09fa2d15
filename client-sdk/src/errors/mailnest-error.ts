import { isBrandedError, MAILNEST_ERROR_BRAND } from "./brand.js";

/** The base of every error this package throws on purpose (option mistakes are `TypeError`s). */
export class MailnestError extends Error {
  override name = "MailnestError";
  readonly [MAILNEST_ERROR_BRAND] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isMailnestError(value: unknown): value is MailnestError {
  return isBrandedError(value);
}
