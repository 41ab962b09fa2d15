import { isBrandedError } from "./brand.js";
import { HttpError } from "./http-error.js";

/** 401: the server runs with an API token and this client sent none or a wrong one. */
export class UnauthorizedError extends HttpError {
  override name = "UnauthorizedError";
}

export function isUnauthorizedError(value: unknown): value is UnauthorizedError {
  return isBrandedError(value, ["UnauthorizedError"]);
}
