import { MAX_WAIT_LIMIT } from "@mailnest/protocol";
import { isHttpError } from "../errors/http-error.js";
import type { CompiledFilter } from "../filter/compile-filter.js";

/**
 * The first page of candidates for a filter the server cannot apply in full. Small, because the
 * message a test waits for is usually among the first few; it doubles after each page that held
 * nothing, up to `MAX_WAIT_LIMIT`, so a backlog of n candidates costs about log2(n / 50) requests
 * plus n / 500, and no page is ever more than twice what the wait needed.
 */
export const FIRST_PAGE = 50;

/**
 * How many candidates a wait's next request asks for (the wait's `limit`). Every answer still holds
 * the first candidates after the cursor with none left out between them, so a page changes how many
 * round trips a backlog costs, never which message a wait returns.
 */
export class CandidatePages {
  #size = FIRST_PAGE;
  /** False once a server older than `limit` refused it: then one candidate per request, as before. */
  #supported = true;

  /**
   * The `limit` for a wait that still needs `needed` messages: a page when part of the filter runs
   * only here; otherwise just what is needed, since every candidate then matches. Undefined means
   * the server's default (`count`), which is what an older server understands.
   */
  limit(filter: CompiledFilter, needed: number): number | undefined {
    if (!this.#supported) return undefined;
    const limit = Math.min(MAX_WAIT_LIMIT, filter.checkedHereOnly ? Math.max(this.#size, needed) : needed);
    return limit > 1 ? limit : undefined;
  }

  /** A full page held nothing this wait could take: the backlog is long, so ask for more at once. */
  grow(): void {
    this.#size = Math.min(MAX_WAIT_LIMIT, this.#size * 2);
  }

  /**
   * True (and no `limit` from now on) when `error` is a server's `400 invalid_parameter` for
   * `limit`: a server from before waits took one, which the wait then simply asks again.
   */
  refused(error: unknown): boolean {
    if (!this.#supported || !isHttpError(error) || error.status !== 400) return false;
    if (error.code !== "invalid_parameter") return false;
    if ((error.body as { parameter?: unknown } | null)?.parameter !== "limit") return false;
    this.#supported = false;
    return true;
  }
}
