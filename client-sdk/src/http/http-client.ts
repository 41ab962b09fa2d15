import { type ErrorBody, queryString } from "@mailnest/protocol";
import { ConnectionError } from "../errors/connection-error.js";
import { HttpError, type HttpErrorDetails } from "../errors/http-error.js";
import { NotFoundError } from "../errors/not-found-error.js";
import { UnauthorizedError } from "../errors/unauthorized-error.js";

export interface RequestOptions {
  /** Query parameters (`ListParams`, `WaitParams`, …), written by the protocol's `queryString`. */
  query?: object;
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
  /** Overrides the client's request timeout (long-polls need longer). */
  timeout?: number;
}

export interface HttpClientOptions {
  /** Base URL; may carry a path prefix when the server sits behind a proxy. */
  url: string;
  token: string | null;
  /** How long one request may take before it counts as hung. */
  requestTimeout: number;
}

/** What came back, for the few callers (waits) that handle an error status themselves. */
export interface JsonResponse {
  status: number;
  body: unknown;
}

/**
 * One `fetch` wrapper for every call: URL building, the bearer token, a timeout per request, and
 * every failure turned into a typed error that names the method and URL. An abort by the caller's
 * signal rejects with the signal's reason, as the platform's own APIs do.
 */
export class HttpClient {
  readonly baseUrl: string;
  readonly #token: string | null;
  readonly #requestTimeout: number;

  constructor(options: HttpClientOptions) {
    this.baseUrl = options.url.replace(/\/+$/, "");
    this.#token = options.token;
    this.#requestTimeout = options.requestTimeout;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.#fetch(method, path, options);
    if (!response.ok) throw await this.#httpError(method, response);
    return (await response.json()) as T;
  }

  /** JSON, except that the statuses in `accepted` come back as values instead of errors. */
  async jsonAccepting(
    method: string,
    path: string,
    accepted: readonly number[],
    options: RequestOptions = {},
  ): Promise<JsonResponse> {
    const response = await this.#fetch(method, path, options);
    if (!response.ok && !accepted.includes(response.status)) throw await this.#httpError(method, response);
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch {
      // A proxy's own answer (an HTML 408 page, say): the caller sees it is not the API's shape.
      return { status: response.status, body: text };
    }
  }

  async bytes(method: string, path: string, options: RequestOptions = {}): Promise<Buffer> {
    const response = await this.#fetch(method, path, options);
    if (!response.ok) throw await this.#httpError(method, response);
    return Buffer.from(await response.arrayBuffer());
  }

  /** For answers without a useful body (204). */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    const response = await this.#fetch(method, path, options);
    if (!response.ok) throw await this.#httpError(method, response);
    await response.body?.cancel();
  }

  url(path: string, query: object = {}): string {
    return new URL(`${this.baseUrl}${path}${queryString(query)}`).toString();
  }

  async #fetch(method: string, path: string, options: RequestOptions): Promise<Response> {
    const url = this.url(path, options.query);
    const timeout = options.timeout ?? this.#requestTimeout;
    const timeoutSignal = AbortSignal.timeout(timeout);
    const signal = options.signal ? AbortSignal.any([options.signal, timeoutSignal]) : timeoutSignal;
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#token !== null) headers.authorization = `Bearer ${this.#token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    try {
      return await fetch(url, {
        method,
        headers,
        signal,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeoutSignal.aborted) {
        throw new ConnectionError(`${method} ${url} got no answer within ${timeout} ms`, {
          method,
          url,
          code: "ETIMEDOUT",
          cause: error,
        });
      }
      const code = systemCode(error);
      throw new ConnectionError(
        `Could not reach Mailnest at ${this.baseUrl} (${method} ${path}: ${code ?? describeCause(error)}). ` +
          "Is the server running? The client uses the `url` option, else MAILNEST_URL, else http://127.0.0.1:8025.",
        { method, url, code, cause: error },
      );
    }
  }

  async #httpError(method: string, response: Response): Promise<HttpError> {
    const text = await response.text().catch(() => "");
    let body: unknown = text;
    try {
      body = (JSON.parse(text) as Partial<ErrorBody>).error ?? body;
    } catch {
      // Not JSON (a proxy's error page): keep the text.
    }
    const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
    const code = typeof fields.code === "string" ? fields.code : null;
    const reason =
      typeof fields.message === "string" ? fields.message : text.slice(0, 200) || response.statusText;
    const details: HttpErrorDetails = { status: response.status, code, method, url: response.url, body };
    const summary = `${method} ${response.url} → ${response.status}${code ? ` ${code}` : ""}: ${reason}`;
    if (response.status === 404) return new NotFoundError(summary, details);
    if (response.status === 401) {
      return new UnauthorizedError(
        `${summary} (pass the token as \`new Mailnest({ token })\` or set MAILNEST_API_TOKEN)`,
        details,
      );
    }
    return new HttpError(summary, details);
  }
}

/** undici wraps the socket error: `TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } })`. */
function systemCode(error: unknown): string | null {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  return cause instanceof Error ? cause.message : String(cause);
}
