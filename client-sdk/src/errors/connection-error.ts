import { isBrandedError } from "./brand.js";
import { MailnestError } from "./mailnest-error.js";

export interface ConnectionErrorDetails {
  method: string;
  url: string;
  /** The system or undici error code (`ECONNREFUSED`, `ECONNRESET`, `UND_ERR_SOCKET`…), `ETIMEDOUT` when no answer came in time, or null. */
  code: string | null;
  cause: unknown;
}

/** The request never got an HTTP answer: nothing listens at the URL, the connection broke, or it hung. */
export class ConnectionError extends MailnestError {
  override name = "ConnectionError";
  readonly method: string;
  readonly url: string;
  readonly code: string | null;

  constructor(message: string, details: ConnectionErrorDetails) {
    super(message, { cause: details.cause });
    this.method = details.method;
    this.url = details.url;
    this.code = details.code;
  }
}

export function isConnectionError(value: unknown): value is ConnectionError {
  return isBrandedError(value, ["ConnectionError", "BrokenResponseError", "ServerUnavailableError"]);
}
