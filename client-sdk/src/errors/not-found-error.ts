import { isBrandedError } from "./brand.js";
import { HttpError } from "./http-error.js";

/** 404: an unknown inbox, message or attachment (e.g. a message deleted by another test). */
export class NotFoundError extends HttpError {
  override name = "NotFoundError";
}

export function isNotFoundError(value: unknown): value is NotFoundError {
  return isBrandedError(value, ["NotFoundError"]);
}
