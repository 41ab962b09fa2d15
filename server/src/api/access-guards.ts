import type { RequestHandler } from "express";
import { ApiToken } from "./api-token.js";
import { ForbiddenError, UnauthorizedError } from "./errors.js";
import { hostHeaderAllowed } from "./origin-policy.js";

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
 */
export function tokenGuard(apiToken: string | null, allowQuery: boolean): RequestHandler {
  if (apiToken === null) return (_req, _res, next) => next();
  const token = new ApiToken(apiToken);
  return (req, _res, next) => {
    next(token.admits(req, allowQuery) ? undefined : new UnauthorizedError());
  };
}
