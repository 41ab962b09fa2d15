import { isHttpError } from "../errors/http-error.js";
import { ServerUnavailableError } from "../errors/server-unavailable-error.js";
import type { RetryReason } from "./retry-policy.js";

/**
 * What one stretch of failed attempts saw, so that giving up can say why: whether the server said
 * it was shutting down, since when nothing answered, how many tries, and the last error.
 */
export class Outage {
  #shuttingDownAt: Date | null = null;
  #storageUnavailableSince: Date | null = null;
  #unreachableSince: Date | null = null;
  #attempts = 0;
  #lastError: unknown = null;

  get attempts(): number {
    return this.#attempts;
  }

  record(reason: RetryReason, error: unknown): void {
    this.#attempts++;
    this.#lastError = error;
    if (reason === "shutting_down") this.#shuttingDownAt ??= new Date();
    else if (reason === "storage_unavailable") this.#storageUnavailableSince ??= new Date();
    else this.#unreachableSince ??= new Date();
  }

  /**
   * The error to give up with. `headline` says what was attempted, e.g. `GET http://…/api/health
   * gave up after 30000 ms`; the rest says why.
   */
  toError(headline: string, request: { method: string; url: string }): ServerUnavailableError {
    const said =
      this.#shuttingDownAt === null
        ? []
        : [`the server said it was shutting down at ${clock(this.#shuttingDownAt)}`];
    const storage =
      this.#storageUnavailableSince === null
        ? []
        : [`the server said its storage was unavailable since ${clock(this.#storageUnavailableSince)}`];
    const unreachable =
      this.#unreachableSince === null
        ? []
        : [`it has been unreachable since ${clock(this.#unreachableSince)}`];
    const tries = `${this.#attempts} attempt${this.#attempts === 1 ? "" : "s"}`;
    const why = [...said, ...storage, ...unreachable].join(", and ");
    return new ServerUnavailableError(
      `${headline}: ${why} (${tries}); last error: ${describe(this.#lastError)}`,
      {
        method: request.method,
        url: request.url,
        code: errorCode(this.#lastError),
        cause: this.#lastError,
        shuttingDownAt: this.#shuttingDownAt,
        storageUnavailableSince: this.#storageUnavailableSince,
        unreachableSince: this.#unreachableSince,
        attempts: this.#attempts,
      },
    );
  }
}

function clock(date: Date): string {
  return `${date.toISOString().slice(11, 23)}Z`;
}

function errorCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : null;
}

/** `ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:8025)`, `503 shutting_down`: the innermost cause says most. */
function describe(error: unknown): string {
  if (isHttpError(error)) return `${error.status}${error.code ? ` ${error.code}` : ""}`;
  let detail = "";
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current.message) detail = current.message;
    current = current.cause;
  }
  const code = errorCode(error);
  if (code === null) return detail || String(error);
  return detail && !detail.includes(code) ? `${code} (${detail})` : detail || code;
}
