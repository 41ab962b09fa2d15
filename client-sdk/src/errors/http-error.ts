import { isBrandedError } from "./brand.js";
import { MailnestError } from "./mailnest-error.js";

export interface HttpErrorDetails {
  status: number;
  /** The API's stable error code (`not_found`, `invalid_parameter`, …), or null when the body had none. */
  code: string | null;
  method: string;
  url: string;
  /** The parsed `error` object of the response, or the raw text when it was not JSON. */
  body: unknown;
}

/** The server answered with an error status. The message names the method, the URL and the server's reason. */
export class HttpError extends MailnestError {
  override name = "HttpError";
  readonly status: number;
  readonly code: string | null;
  readonly method: string;
  readonly url: string;
  readonly body: unknown;

  constructor(message: string, details: HttpErrorDetails) {
    super(message);
    this.status = details.status;
    this.code = details.code;
    this.method = details.method;
    this.url = details.url;
    this.body = details.body;
  }
}

export function isHttpError(value: unknown): value is HttpError {
  return isBrandedError(value, ["HttpError", "NotFoundError", "UnauthorizedError"]);
}
