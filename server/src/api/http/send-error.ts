import type { ErrorRequestHandler, Response } from "express";
import { InvalidCursorError } from "../../store/errors.js";
import {
  type ApiError,
  InvalidJsonError,
  InvalidParameterError,
  isApiError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from "./errors.js";

/** The one place an error becomes a response: `{ "error": { code, message, ...details } }`. */
export function sendError(res: Response, error: ApiError): void {
  if (error.status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="mailnest"');
  res.status(error.status).json({ error: { code: error.code, message: error.message, ...error.details() } });
}

/**
 * The last middleware, so express's default handler (an HTML page with a stack trace in
 * development) never answers. Errors from the JSON body parser carry a `type`; anything else
 * unexpected is a bug: logged here, answered as a bare 500.
 */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const apiError = toApiError(error);
  if (res.headersSent) {
    // A stream failed halfway (e.g. a raw file vanished): the status is gone, so cut the response.
    if (!apiError) console.error(`mailnest: ${req.method} ${req.originalUrl} failed mid-response:`, error);
    res.destroy();
    return;
  }
  if (apiError) {
    sendError(res, apiError);
    return;
  }
  console.error(`mailnest: ${req.method} ${req.originalUrl} failed:`, error);
  res.status(500).json({ error: { code: "internal_error", message: "Internal server error" } });
};

function toApiError(error: unknown): ApiError | null {
  if (isApiError(error)) return error;
  // The router's decodeURIComponent of a path parameter (`%E0%A4%A`).
  if (error instanceof URIError)
    return new InvalidParameterError("path", "Malformed percent-encoding in the path");
  if (error instanceof InvalidCursorError) {
    return new InvalidParameterError("cursor", error.message);
  }
  const type = bodyParserErrorType(error);
  switch (type) {
    case "entity.too.large":
      return new PayloadTooLargeError("The request body is larger than 1 MiB");
    case "entity.parse.failed":
      return new InvalidJsonError("The request body is not valid JSON");
    case "encoding.unsupported":
    case "charset.unsupported":
      return new UnsupportedMediaTypeError("The request body must be UTF-8 JSON");
    case "request.aborted":
    case "request.size.invalid":
      return new InvalidJsonError("The request body ended early");
    default:
      return null;
  }
}

function bodyParserErrorType(error: unknown): string | null {
  if (typeof error !== "object" || error === null || !("type" in error)) return null;
  return typeof error.type === "string" ? error.type : null;
}

/** For the catch-all after every route. */
export function routeNotFound(method: string, path: string): NotFoundError {
  return new NotFoundError(`No route for ${method} ${path}`);
}
