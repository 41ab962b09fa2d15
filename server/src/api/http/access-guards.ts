import type { Request, RequestHandler } from "express";
import { ApiToken } from "./api-token.js";
import { ForbiddenError, UnauthorizedError } from "./errors.js";
import { hostHeaderAllowed, readRefusal, writeRefusal } from "./origin-policy.js";

/** Refuses requests whose `Host` a loopback server should never see (DNS rebinding; see origin-policy.ts). */
export function hostGuard(listenHost: string): RequestHandler {
  return (req, _res, next) => {
    if (hostHeaderAllowed(listenHost, req.headers.host)) {
      next();
      return;
    }
    next(new ForbiddenError(`Host ${JSON.stringify(req.headers.host)} is not a loopback name`));
  };
}

/**
 * With `--api-token`, every `/api` route and `/metrics` need it (the viewer's static files do not).
 * `allowQuery` also accepts `?token=`, for GET routes a browser opens as a link or `src` where it
 * cannot add a header; elsewhere the token comes from the header only, so it stays out of logs.
 * `allowBasic` also accepts it as a Basic password, for the peers' routes only: a browser keeps
 * Basic credentials and sends them by itself, which the Bearer token never is.
 */
export function tokenGuard(apiToken: string | null, allowQuery: boolean, allowBasic = false): RequestHandler {
  if (apiToken === null) return (_req, _res, next) => next();
  const token = new ApiToken(apiToken);
  return (req, _res, next) => {
    next(token.admits(req, allowQuery, allowBasic) ? undefined : new UnauthorizedError());
  };
}

/** Read-only methods: what a page on another origin may send freely, and cannot read the answer of. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Refuses a state-changing request a browser sent from a page that is neither the server's own
 * origin nor a `--cors-origin` (cross-site request forgery; see `writeRefusal`). It runs before the
 * token check and the body parser, so a forged request does nothing, not even parse its body.
 */
export function writeOriginGuard(corsOrigins: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    const refusal = writeRefusal(req.headers, corsOrigins);
    next(refusal === null ? undefined : new ForbiddenError(`${req.method} ${req.path} refused: ${refusal}`));
  };
}

/**
 * Refuses a read a browser sent from a page that is neither the server's own origin nor a
 * `--cors-origin`: its timing alone would tell that page what captured mail says (`readRefusal`).
 * Every GET route but those a browser opens from a link has it (`ApiRoutes.get`).
 */
export function readOriginGuard(corsOrigins: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    const refusal = readRefusal(req.headers, corsOrigins);
    next(refusal === null ? undefined : new ForbiddenError(`${req.method} ${req.path} refused: ${refusal}`));
  };
}

/**
 * Whether a browser sent this request from a page elsewhere. A link route that marks a message read
 * when opened (the peers' HTML views) leaves the flag alone then: any page can make a browser open a
 * link, and a test that checks the unread state must not see a stranger's visit.
 */
export function fromElsewhere(req: Request, corsOrigins: readonly string[]): boolean {
  return readRefusal(req.headers, corsOrigins) !== null;
}
