import express, { type Request, type RequestHandler, type Response, type Router } from "express";
import { readOriginGuard, tokenGuard, writeOriginGuard } from "./access-guards.js";
import { jsonBody, jsonBodyUpTo } from "./json-body.js";

type Handler = (req: Request, res: Response) => void | Promise<void>;

export interface RouteOptions {
  /** Accept `?token=` as well as the header: for links a browser opens itself (raw, html, attachments). */
  queryToken?: boolean;
  /**
   * Accept the token as the password of `Authorization: Basic` as well: for the peers' routes
   * (`api/compat/`), whose clients send Basic credentials (docs/compatibility.md).
   */
  basicAuth?: boolean;
  /**
   * Answered without the token: for probes (`/livez`, `/readyz`) that a load balancer or an
   * orchestrator calls without credentials. Such a route must say nothing about captured mail.
   */
  withoutToken?: boolean;
}

/** A route that changes something takes its token from a header only. */
export type WriteRouteOptions = Pick<RouteOptions, "basicAuth">;

/**
 * The route table. Every request that reaches it passes the cross-origin write check first (for any
 * method but GET, HEAD and OPTIONS, on any path, so a route added later, or a method added to this
 * class, cannot forget it); every GET route but a link route gets the cross-origin read check; every
 * route registered here then gets the token check (unless it is a probe) and the JSON body parser in
 * front of its handler, whatever path tricks a request tries.
 */
export class ApiRoutes {
  readonly router: Router = express.Router({ caseSensitive: true });
  readonly #guards = new Map<string, RequestHandler>();
  readonly #apiToken: string | null;
  readonly #readOrigin: RequestHandler;
  /** The `--cors-origin` list, for a handler that asks `fromElsewhere`. */
  readonly corsOrigins: readonly string[];

  constructor(apiToken: string | null, corsOrigins: readonly string[]) {
    this.#apiToken = apiToken;
    this.corsOrigins = corsOrigins;
    this.#readOrigin = readOriginGuard(corsOrigins);
    this.router.use(writeOriginGuard(corsOrigins));
  }

  /** A read; unless it is a link route (`queryToken`), a browser may send it only from an allowed origin. */
  get(path: string, handler: Handler, options: RouteOptions = {}): void {
    const origin = options.queryToken === true ? [] : [this.#readOrigin];
    const token = options.withoutToken === true ? [] : [this.#guard(options.queryToken, options.basicAuth)];
    this.router.get(path, ...origin, ...token, jsonBody, noStore, handler);
  }

  /** `maxBodyBytes` raises the JSON body limit for this route (`POST /api/send` carries attachments). */
  post(path: string, handler: Handler, options: WriteRouteOptions & { maxBodyBytes?: number } = {}): void {
    const body = options.maxBodyBytes === undefined ? jsonBody : jsonBodyUpTo(options.maxBodyBytes);
    this.router.post(path, this.#guard(false, options.basicAuth), body, noStore, handler);
  }

  put(path: string, handler: Handler, options: WriteRouteOptions = {}): void {
    this.router.put(path, this.#guard(false, options.basicAuth), jsonBody, noStore, handler);
  }

  patch(path: string, handler: Handler, options: WriteRouteOptions = {}): void {
    this.router.patch(path, this.#guard(false, options.basicAuth), jsonBody, noStore, handler);
  }

  delete(path: string, handler: Handler, options: WriteRouteOptions = {}): void {
    this.router.delete(path, this.#guard(false, options.basicAuth), jsonBody, noStore, handler);
  }

  #guard(queryToken = false, basicAuth = false): RequestHandler {
    const key = `${queryToken}:${basicAuth}`;
    let guard = this.#guards.get(key);
    if (!guard) {
      guard = tokenGuard(this.#apiToken, queryToken, basicAuth);
      this.#guards.set(key, guard);
    }
    return guard;
  }
}

/** Captured mail changes from one second to the next, and may be private: nothing caches it. */
const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader("Cache-Control", "no-store");
  next();
};
