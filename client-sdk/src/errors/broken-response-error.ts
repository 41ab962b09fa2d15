import { isBrandedError } from "./brand.js";
import { ConnectionError } from "./connection-error.js";

/**
 * The server answered, but the connection broke while the body was being read (the server
 * stopped mid-answer, say). undici reports it as a plain `TypeError: terminated`; this names the
 * request instead. A GET is retried like a refused connection; after a POST, the server may well
 * have acted on the request.
 */
export class BrokenResponseError extends ConnectionError {
  override name = "BrokenResponseError";
}

export function isBrokenResponseError(value: unknown): value is BrokenResponseError {
  return isBrandedError(value, ["BrokenResponseError"]);
}
