import express, { type RequestHandler } from "express";
import { InvalidParameterError, UnsupportedMediaTypeError } from "./errors.js";

/** Largest JSON body accepted; bigger ones get 413 `payload_too_large` without being read to the end. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Parses a JSON body when there is one. A body of another type is refused with 415 rather than
 * ignored: an HTML form (`text/plain`, `application/x-www-form-urlencoded`) can be posted
 * cross-site without a CORS preflight, JSON cannot.
 */
export function jsonBodyUpTo(limit: number): RequestHandler {
  const parseJson = express.json({ limit, strict: false });
  return (req, res, next) => {
    if (!hasBody(req.headers)) {
      next();
      return;
    }
    if (!req.is(["application/json", "+json"])) {
      next(new UnsupportedMediaTypeError("The request body must be JSON (Content-Type: application/json)"));
      return;
    }
    parseJson(req, res, next);
  };
}

/** The body parser of every route but those that need more (`POST /api/send`). */
export const jsonBody: RequestHandler = jsonBodyUpTo(MAX_BODY_BYTES);

function hasBody(headers: {
  "transfer-encoding"?: string | undefined;
  "content-length"?: string | undefined;
}) {
  return headers["transfer-encoding"] !== undefined || (headers["content-length"] ?? "0") !== "0";
}

/**
 * For a route that takes no body (`/retry`, `/redeliver`, `/api/check`): a body with fields is
 * refused, not ignored. `{"to": […]}` sent to a retry went to the original recipients with a 202,
 * leaving the caller sure it had retried elsewhere. An empty object, or no body, is fine.
 */
export function refuseBodyFields(body: unknown): void {
  if (body === undefined || body === null) return;
  const fields = typeof body === "object" && !Array.isArray(body) ? Object.keys(body) : null;
  if (fields !== null && fields.length === 0) return;
  const field = fields?.[0] ?? "body";
  throw new InvalidParameterError(
    field,
    fields === null
      ? "This route takes no body"
      : `Unknown field ${JSON.stringify(field)}: this route takes no body`,
  );
}
