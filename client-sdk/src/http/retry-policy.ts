import type { Health } from "@mailnest/protocol";
import { isBrokenResponseError } from "../errors/broken-response-error.js";
import { isConnectionError } from "../errors/connection-error.js";
import { isHttpError } from "../errors/http-error.js";

/**
 * What the SDK retries, and how long it waits in between (issue #11, "a wait rides out a
 * redeploy"). The long-poll loop and the HTTP client both follow it, each until its own deadline.
 */

/** Backoff: capped exponential, each delay drawn from its upper half (jitter), never past the deadline. */
const FIRST_RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 2_000;

/** The connection existed and broke, or the answer never came: the server (or the path to it) went away. */
const BROKEN_CONNECTION_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);
/**
 * Nothing answered at the address. Retried only once this client has had an answer from the server
 * (a restart): before that, it is far likelier a wrong URL or a server that was never started, and
 * the first call says so at once.
 */
const NOT_LISTENING_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
/** Methods that mean the same when sent twice (RFC 9110 section 9.2.2). */
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

/**
 * Why a failed request is worth another try: the server said it is stopping, or that its storage
 * (the PostgreSQL database of a multi-instance sandbox) cannot be reached for now, or the server
 * itself could not be reached.
 */
export type RetryReason = "shutting_down" | "storage_unavailable" | "unreachable";

export interface RetryContext {
  method: string;
  /** Whether this client has had any HTTP answer from the server before. */
  reachedBefore: boolean;
}

/**
 * Null when the error is final. A POST is retried only when no connection was made (refused,
 * unroutable): the request never left, so the server cannot have acted on it.
 */
export function retryReason(error: unknown, context: RetryContext): RetryReason | null {
  const idempotent = IDEMPOTENT_METHODS.has(context.method.toUpperCase());
  if (isHttpError(error)) {
    if (!idempotent || error.status < 502 || error.status > 504) return null;
    if (error.status === 503 && isShuttingDown(error.code, error.body)) return "shutting_down";
    if (error.status === 503 && error.code === "storage_unavailable") return "storage_unavailable";
    // 502 and 504 (and a 503 of no Mailnest shape) come from a proxy in front of a restarting server.
    return "unreachable";
  }
  if (!isConnectionError(error)) return null;
  const code = error.code ?? "";
  if (NOT_LISTENING_CODES.has(code)) return context.reachedBefore ? "unreachable" : null;
  if (!idempotent) return null;
  return BROKEN_CONNECTION_CODES.has(code) || isBrokenResponseError(error) ? "unreachable" : null;
}

/** The delay before retry number `attempt` (1 for the first retry). */
export function retryDelay(attempt: number): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** Math.min(attempt - 1, 16));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Sleeps, or rejects with the signal's reason as soon as it aborts. Plain `setTimeout` rather than
 * `node:timers/promises`: the core of the SDK runs in browsers and edge runtimes too.
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** `503 { error: { code: "shutting_down" } }` from a wait, or the health route's `503 { status: "closing" }`. */
function isShuttingDown(code: string | null, body: unknown): boolean {
  if (code === "shutting_down") return true;
  return typeof body === "object" && body !== null && (body as Partial<Health>).status === "closing";
}
