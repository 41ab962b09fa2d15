import type {
  StoredMessage,
  WaitParams,
  WaitResponse,
  WaitTimeoutErrorBody,
  WaitTimeoutErrorObject,
} from "@mailnest/protocol";
import { isHttpError } from "../errors/http-error.js";
import { MailnestError } from "../errors/mailnest-error.js";
import { type CompiledFilter, withoutServerPart } from "../filter/compile-filter.js";
import { evaluateFilter } from "../filter/evaluate-filter.js";
import type { HttpClient } from "../http/http-client.js";
import { Outage } from "../http/outage.js";
import { retryDelay, retryReason, sleepUnlessAborted } from "../http/retry-policy.js";
import type { Message } from "../message/message.js";
import { CandidatePages } from "./candidate-pages.js";

/** Beyond the wait itself, how long the server may take to answer before the request counts as hung. */
const ANSWER_GRACE_MS = 5_000;

export interface LongPollRequest {
  http: HttpClient;
  /** `apiPaths.inboxWait(address)` or `apiPaths.wait()`. */
  path: string;
  filter: CompiledFilter;
  /** Only messages with a higher sequence count. */
  since: number;
  /** Only messages received after this time on the server's clock (`nextMessage()`). */
  after?: number | undefined;
  /** Sequences above the cursor that the server should leave out (messages this handle already took). */
  exclude?: (position: number) => readonly number[];
  count: number;
  timeout: number;
  signal: AbortSignal | undefined;
  /** Longest single request; longer waits re-issue it with the same cursor. */
  maxRequestWait: number;
  toMessage(data: StoredMessage): Message;
  /**
   * Called synchronously for each message that matches, in arrival order. False skips it (already
   * returned by an earlier wait). A claimed message is released again when the wait fails.
   */
  claim(message: Message): boolean;
  release(message: Message): void;
  observeHead(head: number): void;
  /**
   * Told, when the server answered an unfiltered request (so nothing lies between the two), that
   * `message` is the next one after `after`. Lets a handle skip past messages it already returned.
   */
  observeNext?(after: number, message: Message): void;
}

export type LongPollOutcome =
  | { kind: "found"; messages: Message[] }
  | { kind: "timeout"; matched: Message[]; lastTimeout: WaitTimeoutErrorObject | null }
  /** The deadline passed while the server was restarting (or gone); `outage` says what was seen. */
  | { kind: "unavailable"; matched: Message[]; outage: Outage; url: string };

/**
 * Waits until `count` messages after `since` match the whole filter, using the server's long-poll:
 * the server applies every part it can (`match`), this loop checks each candidate again and runs
 * the rest (`where`, a refused pattern), advancing its cursor past each. When some part runs only
 * here, each request asks for a page of candidates (`limit`, `candidate-pages.ts`): the server
 * answers at once with the first ones after the cursor while there are any, none left out between
 * them, and blocks like any long-poll once the cursor has caught up, so a backlog costs a few
 * requests rather than one per candidate, and a message that arrives meanwhile comes in a later
 * page or wakes the long-poll, exactly once. A request never outlives `maxRequestWait`, so a wait
 * longer than the server's or a proxy's cap is simply re-issued. There is no client-side polling:
 * every request blocks on the server until something arrives or its own timeout ends.
 *
 * A restart does not end the wait: refused and broken connections and `503 shutting_down` are
 * retried with backoff (`retry-policy.ts`) until the wait's own deadline, from the same cursor, so
 * a message is neither skipped nor returned twice (sequences survive a restart with a data dir).
 */
export async function longPoll(request: LongPollRequest): Promise<LongPollOutcome> {
  const deadline = performance.now() + request.timeout;
  const found: Message[] = [];
  let position = request.since;
  let filter = request.filter;
  let lastTimeout: WaitTimeoutErrorObject | null = null;
  let outage: Outage | null = null;
  let asked = false;
  const pages = new CandidatePages();
  try {
    for (;;) {
      request.signal?.throwIfAborted();
      const remaining = Math.max(0, Math.floor(deadline - performance.now()));
      if (remaining <= 0 && (asked || outage !== null)) {
        // Matching messages that were not enough are not "returned" to anyone: a later wait may take them.
        for (const message of found) request.release(message);
        if (outage !== null) {
          return { kind: "unavailable", matched: found, outage, url: request.http.url(request.path) };
        }
        return { kind: "timeout", matched: found, lastTimeout };
      }
      const wait = Math.min(remaining, request.maxRequestWait);
      const limit = pages.limit(filter, request.count - found.length);
      let response: { status: number; body: unknown };
      try {
        response = await request.http.jsonAccepting("GET", request.path, [408], {
          query: {
            ...filter.serverQuery,
            since: position,
            ...(request.after === undefined ? {} : { after: request.after }),
            ...excludeParameter(request.exclude?.(position)),
            // Answer as soon as there is one candidate; `limit` lets the answer carry the next ones
            // too. Each answer is the next candidates in order, so a wait that runs out knows
            // precisely which matching messages it had found.
            count: 1,
            ...(limit === undefined ? {} : { limit }),
            timeout: wait,
          } satisfies WaitParams,
          ...(request.signal ? { signal: request.signal } : {}),
          timeout: wait + ANSWER_GRACE_MS,
          // This loop retries itself, re-asking from its cursor with the time that is left.
          retry: false,
        });
      } catch (error) {
        const refused = refusedPatternKey(error, filter);
        if (refused !== null) {
          // The server's linear-time engine cannot run this pattern (lookaround, backreferences):
          // that part is checked here only, on the candidates the rest of the filter lets through.
          filter = withoutServerPart(filter, refused);
          continue;
        }
        if (pages.refused(error)) continue;
        const reason = retryReason(error, { method: "GET", reachedBefore: request.http.reachedServer });
        if (reason === null) throw error;
        outage ??= new Outage();
        outage.record(reason, error);
        await sleepUnlessAborted(
          Math.min(retryDelay(outage.attempts), Math.max(0, deadline - performance.now())),
          request.signal,
        );
        continue;
      }
      asked = true;
      outage = null;

      if (response.status === 408) {
        // Ours (`wait_timeout` with a head) or a proxy's own timeout page: either way, ask again.
        const body = (response.body as Partial<WaitTimeoutErrorBody> | null)?.error;
        if (body?.code === "wait_timeout") {
          lastTimeout = body;
          request.observeHead(body.head);
        }
        continue;
      }
      const body = response.body as WaitResponse;
      if (!Array.isArray(body?.messages)) {
        throw new MailnestError(
          `GET ${request.http.url(request.path)} answered 200 without a messages list; is the URL a Mailnest server?`,
        );
      }
      request.observeHead(body.head);
      const unfiltered = Object.keys(filter.serverQuery).length === 0;
      const before = found.length;
      for (const data of body.messages) {
        // The rest of a page stays unread: the cursor stops at the last message looked at.
        if (found.length >= request.count) break;
        const after = position;
        position = Math.max(position, data.sequence);
        const message = request.toMessage(data);
        const verdict = await evaluateFilter(request.filter, message);
        if (verdict.matches && request.claim(message)) found.push(message);
        if (unfiltered) request.observeNext?.(after, message);
      }
      if (found.length >= request.count) return { kind: "found", messages: found };
      if (limit !== undefined && found.length === before && body.messages.length >= limit) pages.grow();
    }
  } catch (error) {
    for (const message of found) request.release(message);
    throw error;
  }
}

/**
 * The top-level key of the `match` filter that a `400 unsupported_pattern` names (`match.subject`,
 * `match.header[0].value`), when this filter still sends it; null for any other error.
 */
export function refusedPatternKey(
  error: unknown,
  filter: CompiledFilter,
): keyof CompiledFilter["wire"] | null {
  if (!isHttpError(error) || error.status !== 400 || error.code !== "unsupported_pattern") return null;
  const parameter = (error.body as { parameter?: unknown } | null)?.parameter;
  const key = typeof parameter === "string" ? /^match\.([a-zA-Z]+)/.exec(parameter)?.[1] : undefined;
  if (key === undefined || !(key in filter.wire)) return null;
  return key as keyof CompiledFilter["wire"];
}

function excludeParameter(sequences: readonly number[] | undefined): { exclude?: string } {
  return sequences === undefined || sequences.length === 0 ? {} : { exclude: sequences.join(",") };
}
