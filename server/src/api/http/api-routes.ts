import express, { type Request, type RequestHandler, type Response, type Router } from "express";
import { tokenGuard, writeOriginGuard } from "./access-guards.js";
import { jsonBody, jsonBodyUpTo } from "./json-body.js";

type Handler = (req: Request, res: Response) => void | Promise<void>;

export interface RouteOptions {
  /** Accept `?token=` as well as the header: for links a browser opens itself (raw, html, attachments). */
  queryToken?: boolean;
}

/**
 * The route table. Every request that reaches it passes the cross-origin write check first (for any
 * method but GET, HEAD and OPTIONS, on any path, so a route added later, or a method added to this
 * class, cannot forget it); every route registered here then gets the token check and the JSON body
 * parser in front of its handler, whatever path tricks a request tries.
 */
export class ApiRoutes {
  readonly router: Router = express.Router({ caseSensitive: true });
  readonly #headerOnly: RequestHandler;
  readonly #headerOrQuery: RequestHandler;

  constructor(apiToken: string | null, corsOrigins: readonly string[]) {
    this.router.use(writeOriginGuard(corsOrigins));
    this.#headerOnly = tokenGuard(apiToken, false);
    this.#headerOrQuery = tokenGuard(apiToken, true);
  }

  get(path: string, handler: Handler, options: RouteOptions = {}): void {
    this.router.get(path, this.#guard(options), jsonBody, noStore, handler);
  }

  /** `maxBodyBytes` raises the JSON body limit for this route (`POST /api/send` carries attachments). */
  post(path: string, handler: Handler, options: { maxBodyBytes?: number } = {}): void {
    const body = options.maxBodyBytes === undefined ? jsonBody : jsonBodyUpTo(options.maxBodyBytes);
    this.router.post(path, this.#headerOnly, body, noStore, handler);
  }

  patch(path: string, handler: Handler): void {
    this.router.patch(path, this.#headerOnly, jsonBody, noStore, handler);
  }

  delete(path: string, handler: Handler): void {
    this.router.delete(path, this.#headerOnly, jsonBody, noStore, handler);
  }

  #guard(options: RouteOptions): RequestHandler {
    return options.queryToken ? this.#headerOrQuery : this.#headerOnly;
  }
}

/** Captured mail changes from one second to the next, and may be private: nothing caches it. */
const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader("Cache-Control", "no-store");
  next();
};
