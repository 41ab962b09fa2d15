import { ERROR_STATUS } from "@mailnest/protocol";
import type { ErrorRequestHandler, Response } from "express";
import { type ApiError, NotFoundError } from "./errors.js";
import { toApiError } from "./to-api-error.js";

/** The one place an error becomes a response: `{ "error": { code, message, ...details } }`. */
export function sendError(res: Response, error: ApiError): void {
  if (error.status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="mailnest"');
  res.status(error.status).json({ error: { code: error.code, message: error.message, ...error.details() } });
}

/**
 * The last middleware, so express's default handler (an HTML page with a stack trace in
 * development) never answers. `toApiError` names what it knows; anything else is a bug: logged
 * here, answered as a bare 500.
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
  res
    .status(ERROR_STATUS.internal_error)
    .json({ error: { code: "internal_error", message: "Internal server error" } });
};

/** For the catch-all after every route. */
export function routeNotFound(method: string, path: string): NotFoundError {
  return new NotFoundError(`No route for ${method} ${path}`);
}
