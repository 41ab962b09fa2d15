import express, { type RequestHandler } from "express";
import { UnsupportedMediaTypeError } from "./errors.js";

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
