import {
  apiPaths,
  type ListParams,
  MAX_EXCLUDED,
  MAX_LIMIT,
  type MessagePage,
  type MessageSummary,
  type StoredMessage,
} from "@mailnest/protocol";
import { isNotFoundError } from "../errors/not-found-error.js";
import { UnexpectedMessageError } from "../errors/unexpected-message-error.js";
import { type CompiledFilter, compileFilter } from "../filter/compile-filter.js";
import { evaluateFilter } from "../filter/evaluate-filter.js";
import type { MessageFilter } from "../filter/message-filter.js";
import type { Message } from "../message/message.js";
import { describeWait, explainTimeout } from "../wait/explain-timeout.js";
import { longPoll } from "../wait/long-poll.js";
import {
  DEFAULT_NO_MESSAGE_WINDOW_MS,
  type ExpectNoMessageOptions,
  resolveWaitOptions,
  type WaitOptions,
} from "../wait/wait-options.js";
import type { ClientContext } from "./client-context.js";

/** A list request returns at most `MAX_LIMIT` (500); this many pages (50 000 messages) is far beyond any test inbox. */
const MAX_LIST_PAGES = 100;
/** Full messages fetched at once when a list needs bodies or headers. */
const FETCH_CONCURRENCY = 8;

export interface WaitStart {
  /** Only messages with a higher sequence count. */
  since: number;
  /**
   * `localNow()` when a `nextMessage()` was called: only messages whose DATA ended later, on the
   * server's clock (corrected by the measured offset), count.
   */
  calledAt?: number;
  /** How a timeout message describes a message at or below `since`. */
  beforeSince: string;
}

/**
 * The state and the requests behind one `Inbox` handle (or the client's view across all inboxes):
 * where its window on the inbox starts (`baseline`), and which messages its waits have returned,
 * so that no two waits on one handle return the same message.
 */
export class MailView {
  readonly context: ClientContext;
  /** The inbox, or null for all inboxes. */
  readonly inbox: string | null;
  /** Messages with this sequence or lower are outside the view. */
  readonly baseline: number;
  /** Id → sequence of every message a wait on this view returned. */
  readonly #returned = new Map<string, number>();
  /**
   * Every message in the view up to this sequence has been returned by a wait, so no wait needs
   * to look at them again: without it, the n-th wait on a busy handle would re-read n-1 messages.
   */
  #returnedUpTo: number;

  constructor(context: ClientContext, inbox: string | null, baseline: number) {
    this.context = context;
    this.inbox = inbox;
    this.baseline = baseline;
    this.#returnedUpTo = baseline;
  }

  /** The cursor a wait armed now starts from: nothing this client has already seen arrive counts. */
  armCursor(): number {
    return Math.max(this.baseline, this.context.knownHead);
  }

  /** Resolves with `count` messages after `start.since`, oldest first, that no earlier wait on this view returned. */
  async wait(
    count: number,
    filter: MessageFilter | undefined,
    options: WaitOptions | undefined,
    start: WaitStart,
  ): Promise<Message[]> {
    const compiled = compileFilter(filter);
    const { timeout, signal } = resolveWaitOptions(options, this.context.defaultTimeout);
    const after =
      start.calledAt === undefined ? undefined : start.calledAt + (await this.context.clock.offset(signal));
    const outcome = await longPoll({
      http: this.context.http,
      path: this.#path("wait"),
      filter: compiled,
      since: Math.max(start.since, this.#returnedUpTo),
      exclude: (position) => this.#returnedAfter(position),
      after,
      count,
      timeout,
      signal,
      maxRequestWait: this.context.maxRequestWait,
      toMessage: (data) => this.context.toMessage(data),
      claim: (message) => {
        if (this.#returned.has(message.id)) return false;
        this.#returned.set(message.id, message.sequence);
        return true;
      },
      release: (message) => {
        this.#returned.delete(message.id);
        this.#returnedUpTo = Math.min(this.#returnedUpTo, message.sequence - 1);
      },
      observeHead: (head) => this.context.observeHead(head),
      observeNext: (after, message) => {
        if (after <= this.#returnedUpTo && this.#returned.has(message.id)) {
          this.#returnedUpTo = Math.max(this.#returnedUpTo, message.sequence);
        }
      },
    });
    if (outcome.kind === "found") return outcome.messages;
    if (outcome.kind === "unavailable") {
      const what = describeWait({ inbox: this.inbox, filter: compiled, count, matched: outcome.matched });
      throw outcome.outage.toError(`Gave up after ${timeout} ms ${what}`, {
        method: "GET",
        url: outcome.url,
      });
    }
    throw await explainTimeout({
      context: this.context,
      inbox: this.inbox,
      filter: compiled,
      count,
      timeout,
      matched: outcome.matched,
      lastTimeout: outcome.lastTimeout,
      since: start.since,
      after,
      beforeSince: start.beforeSince,
      isDelivered: (message) => this.#returned.has(message.id),
    });
  }

  /**
   * Resolves when no message that `wait` could return (after the baseline, not yet returned,
   * matching) is there or arrives within the window; rejects with `UnexpectedMessageError` as soon
   * as one does. Returns nothing and marks nothing as returned.
   */
  async expectNone(
    filter: MessageFilter | undefined,
    options: ExpectNoMessageOptions | undefined,
  ): Promise<void> {
    const compiled = compileFilter(filter);
    const { timeout: within, signal } = resolveWaitOptions(
      options,
      DEFAULT_NO_MESSAGE_WINDOW_MS,
      ["within", "signal"],
      "within",
    );
    const outcome = await longPoll({
      http: this.context.http,
      path: this.#path("wait"),
      filter: compiled,
      since: this.baseline,
      count: 1,
      timeout: within,
      signal,
      maxRequestWait: this.context.maxRequestWait,
      toMessage: (data) => this.context.toMessage(data),
      claim: (message) => !this.#returned.has(message.id),
      release: () => {},
      observeHead: (head) => this.context.observeHead(head),
    });
    if (outcome.kind === "timeout") return;
    const target = this.inbox === null ? "any inbox" : JSON.stringify(this.inbox);
    const wanted = compiled.description ? ` with ${compiled.description}` : "";
    if (outcome.kind === "unavailable") {
      throw outcome.outage.toError(
        `Could not make sure that no message${wanted} reached ${target} within ${within} ms`,
        { method: "GET", url: outcome.url },
      );
    }
    const [received] = outcome.messages as [Message];
    throw new UnexpectedMessageError(
      `Expected no message${wanted} to reach ${target} within ${within} ms, but received ${received.toString()}`,
      received,
    );
  }

  /** Every message in the view that matches, oldest first. Bodies and headers are fetched only for summary-level matches. */
  async list(filter: MessageFilter | undefined, options: { signal?: AbortSignal } = {}): Promise<Message[]> {
    const compiled = compileFilter(filter);
    const summaries = await this.#summaries(compiled, Number.POSITIVE_INFINITY, options.signal);
    return this.#matching(compiled, summaries.reverse(), options.signal);
  }

  /** The newest message in the view that matches, or null. */
  async latest(
    filter: MessageFilter | undefined,
    options: { signal?: AbortSignal } = {},
  ): Promise<Message | null> {
    const compiled = compileFilter(filter);
    const limit = compiled.checks.length === 0 ? 1 : Number.POSITIVE_INFINITY;
    const summaries = await this.#summaries(compiled, limit, options.signal);
    for (const summary of summaries) {
      if ((await evaluateFilter(compiled, summary)).failures.length > 0) continue;
      const message = await this.#fetch(summary.id, options.signal);
      if (message !== null && (await evaluateFilter(compiled, message)).matches) return message;
    }
    return null;
  }

  /**
   * Sequences above `position` that waits on this view already returned, lowest first (the server
   * answers oldest first, so those are the ones in the way), at most `MAX_EXCLUDED`.
   */
  #returnedAfter(position: number): number[] {
    const after: number[] = [];
    for (const sequence of this.#returned.values()) if (sequence > position) after.push(sequence);
    return after.sort((a, b) => a - b).slice(0, MAX_EXCLUDED);
  }

  #path(endpoint: "wait" | "messages"): string {
    if (endpoint === "wait") return this.inbox === null ? apiPaths.wait() : apiPaths.inboxWait(this.inbox);
    return this.inbox === null ? apiPaths.messages() : apiPaths.inboxMessages(this.inbox);
  }

  /** Newest first, narrowed by the server-side part of the filter, at most `limit`. */
  async #summaries(
    filter: CompiledFilter,
    limit: number,
    signal: AbortSignal | undefined,
  ): Promise<MessageSummary[]> {
    const summaries: MessageSummary[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < MAX_LIST_PAGES && summaries.length < limit; page++) {
      let result: MessagePage;
      try {
        result = await this.context.http.json<MessagePage>("GET", this.#path("messages"), {
          query: {
            ...filter.serverQuery,
            since: this.baseline,
            limit: Math.min(MAX_LIMIT, limit),
            ...(cursor === null ? {} : { cursor }),
          } satisfies ListParams,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        // An address that never received mail has no inbox yet: it holds nothing.
        if (isNotFoundError(error) && this.inbox !== null) return [];
        throw error;
      }
      this.context.observeHead(result.head);
      summaries.push(...result.messages);
      cursor = result.nextCursor;
      if (cursor === null) break;
    }
    return summaries.slice(0, limit);
  }

  /** Summary-level checks first, then the full messages (a few at a time) for the rest. */
  async #matching(
    filter: CompiledFilter,
    summaries: readonly MessageSummary[],
    signal: AbortSignal | undefined,
  ): Promise<Message[]> {
    const candidates: MessageSummary[] = [];
    for (const summary of summaries) {
      if ((await evaluateFilter(filter, summary)).failures.length === 0) candidates.push(summary);
    }
    const messages = await mapConcurrently(candidates, FETCH_CONCURRENCY, (summary) =>
      this.#fetch(summary.id, signal),
    );
    const matching: Message[] = [];
    for (const message of messages) {
      if (message !== null && (await evaluateFilter(filter, message)).matches) matching.push(message);
    }
    return matching;
  }

  /** Null when the message was deleted in the meantime. */
  async #fetch(id: string, signal: AbortSignal | undefined): Promise<Message | null> {
    try {
      const data = await this.context.http.json<StoredMessage>("GET", apiPaths.message(id), {
        ...(signal ? { signal } : {}),
      });
      return this.context.toMessage(data);
    } catch (error) {
      if (isNotFoundError(error)) return null;
      throw error;
    }
  }
}

async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
