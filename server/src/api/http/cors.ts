import type { RequestHandler } from "express";
import { corsOriginAllowed } from "./origin-policy.js";

const ALLOWED_METHODS = "GET, HEAD, POST, PATCH, DELETE";
const ALLOWED_HEADERS = "Authorization, Content-Type";
/** Headers a cross-origin script may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = "Content-Disposition, Content-Length";

/**
 * CORS for `--cors-origin` (off by default: with no origins configured no header is ever set, so
 * a page on another origin cannot read responses). Also answers every preflight with 204, so
 * express's automatic `OPTIONS` reply (a text body) never answers.
 */
export function cors(corsOrigins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    const allowed = origin !== undefined && corsOriginAllowed(origin, corsOrigins);
    if (allowed) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
      // The viewer's own resources say same-origin; an allowed origin may read them.
      res.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
    }
    if (corsOrigins.length > 0) res.vary("Origin");
    if (req.method !== "OPTIONS") {
      next();
      return;
    }
    if (allowed) {
      res.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
      res.setHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
      res.setHeader("Access-Control-Max-Age", "600");
    }
    res.status(204).end();
  };
}
