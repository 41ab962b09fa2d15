import { type ErrorBody, queryString } from "@mailnest/protocol";
import { BrokenResponseError } from "../errors/broken-response-error.js";
import { ConnectionError, isConnectionError } from "../errors/connection-error.js";
import { HttpError, type HttpErrorDetails } from "../errors/http-error.js";
import { MailnestError } from "../errors/mailnest-error.js";
import { NotFoundError } from "../errors/not-found-error.js";
import { UnauthorizedError } from "../errors/unauthorized-error.js";
import { Outage } from "./outage.js";
import { retryDelay, retryReason, sleepUnlessAborted } from "./retry-policy.js";

export interface RequestOptions {
  /** Query parameters (`ListParams`, `WaitParams`, …), written by the protocol's `queryString`. */
  query?: object;
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
  /** Overrides the client's request timeout: the call's deadline, retries included (long-polls need longer). */
  timeout?: number;
  /**
   * Retry what `retryPolicy` says is worth retrying (a restart: refused or broken connections,
   * `503 shutting_down`) until the deadline. False for callers that retry themselves (the waits).
   * @default true
   */
  retry?: boolean;
}

export interface HttpClientOptions {
  /** Base URL; may carry a path prefix when the server sits behind a proxy. */
  url: string;
  token: string | null;
  /** How long one call may take, retries included, before it gives up. */
  requestTimeout: number;
}

/** What came back, for the few callers (waits) that handle an error status themselves. */
export interface JsonResponse {
  status: number;
  body: unknown;
}

type BodyKind = "text" | "bytes" | "none";
interface Answer {
  status: number;
  text: string;
  bytes: Uint8Array | null;
}

/**
 * One `fetch` wrapper for every call: URL building, the bearer token, a deadline per call, retries
 * through a server restart (`retry-policy.ts`), and every failure turned into a typed error that
 * names the method and URL, including a body that breaks while it is read. An abort by the caller's
 * signal rejects with the signal's reason, as the platform's own APIs do.
 */
export class HttpClient {
  readonly baseUrl: string;
  readonly #token: string | null;
  readonly #requestTimeout: number;
  #reached = false;

  constructor(options: HttpClientOptions) {
    this.baseUrl = options.url.replace(/\/+$/, "");
    this.#token = options.token;
    this.#requestTimeout = options.requestTimeout;
  }

  /** Whether any request of this client has had an HTTP answer: a refused connection after that is a restart. */
  get reachedServer(): boolean {
    return this.#reached;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const answer = await this.#call(method, path, options, [], "text");
    try {
      return JSON.parse(answer.text) as T;
    } catch {
      throw new MailnestError(
        `${method} ${this.url(path, options.query)} answered ${answer.status} with a body that is not JSON (${JSON.stringify(answer.text.slice(0, 80))}); is the URL a Mailnest server?`,
      );
    }
  }

  /** JSON, except that the statuses in `accepted` come back as values instead of errors. */
  async jsonAccepting(
    method: string,
    path: string,
    accepted: readonly number[],
    options: RequestOptions = {},
  ): Promise<JsonResponse> {
    const { status, text } = await this.#call(method, path, options, accepted, "text");
    try {
      return { status, body: JSON.parse(text) };
    } catch {
      // A proxy's own answer (an HTML 408 page, say): the caller sees it is not the API's shape.
      return { status, body: text };
    }
  }

  async bytes(method: string, path: string, options: RequestOptions = {}): Promise<Uint8Array> {
    return (await this.#call(method, path, options, [], "bytes")).bytes ?? new Uint8Array(0);
  }

  /** For answers without a useful body (204). */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    await this.#call(method, path, options, [], "none");
  }

  url(path: string, query: object = {}): string {
    return new URL(`${this.baseUrl}${path}${queryString(query)}`).toString();
  }

  /** Attempts until one succeeds, the error is final, or the deadline passes. */
  async #call(
    method: string,
    path: string,
    options: RequestOptions,
    accepted: readonly number[],
    kind: BodyKind,
  ): Promise<Answer> {
    const timeout = options.timeout ?? this.#requestTimeout;
    const deadline = performance.now() + timeout;
    let outage: Outage | null = null;
    for (let attempt = 1; ; attempt++) {
      try {
        const left = Math.max(1, Math.floor(deadline - performance.now()));
        return await this.#attempt(method, path, options, accepted, kind, left);
      } catch (error) {
        const reason =
          options.retry === false ? null : retryReason(error, { method, reachedBefore: this.#reached });
        if (reason === null) throw error;
        // Each attempt may take what is left of the deadline, so a timeout means the deadline cut it
        // short: that says nothing new about the server, and the last real error is kept.
        const cut = outage !== null && isConnectionError(error) && error.code === "ETIMEDOUT";
        outage ??= new Outage();
        if (!cut) outage.record(reason, error);
        const left = deadline - performance.now();
        if (left > 0) await sleepUnlessAborted(Math.min(retryDelay(attempt), left), options.signal);
        if (performance.now() < deadline) continue;
        // Nothing was retried: the error as it came says more than an outage of one attempt.
        if (attempt === 1) throw error;
        const url = this.url(path, options.query);
        throw outage.toError(`${method} ${url} gave up after ${timeout} ms`, { method, url });
      }
    }
  }

  async #attempt(
    method: string,
    path: string,
    options: RequestOptions,
    accepted: readonly number[],
    kind: BodyKind,
    timeout: number,
  ): Promise<Answer> {
    const url = this.url(path, options.query);
    const timeoutSignal = AbortSignal.timeout(timeout);
    const signal = options.signal ? AbortSignal.any([options.signal, timeoutSignal]) : timeoutSignal;
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#token !== null) headers.authorization = `Bearer ${this.#token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const timedOut = (error: unknown, what: string) =>
      new ConnectionError(`${method} ${url} got no ${what} within ${timeout} ms`, {
        method,
        url,
        code: "ETIMEDOUT",
        cause: error,
      });

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        signal,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeoutSignal.aborted) throw timedOut(error, "answer");
      const code = systemCode(error);
      throw new ConnectionError(
        `Could not reach Mailnest at ${this.baseUrl} (${method} ${path}: ${code ?? describeCause(error)}). ` +
          "Is the server running? The client uses the `url` option, else MAILNEST_URL, else http://127.0.0.1:8025.",
        { method, url, code, cause: error },
      );
    }
    this.#reached = true;
    if (!response.ok && !accepted.includes(response.status)) throw await this.#httpError(method, response);

    try {
      if (kind === "none") {
        await response.body?.cancel();
        return { status: response.status, text: "", bytes: null };
      }
      if (kind === "bytes") {
        return { status: response.status, text: "", bytes: new Uint8Array(await response.arrayBuffer()) };
      }
      return { status: response.status, text: await response.text(), bytes: null };
    } catch (error) {
      // undici rejects a body cut short with a bare `TypeError: terminated`; name the request instead.
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeoutSignal.aborted) throw timedOut(error, "complete answer");
      const code = systemCode(error);
      throw new BrokenResponseError(
        `${method} ${url} → ${response.status}, but the connection broke while the answer was read (${code ?? describeCause(error)})`,
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
