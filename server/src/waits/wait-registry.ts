import type { RecentMessage } from "@mailnest/protocol";
import type { EventBus } from "../events/bus.js";
import type { MessageFilter, MessageStore } from "../store/message-store.js";
import type { MessageSummary, StoredMessage } from "../store/model.js";
import { WaitAbortedError, WaitClosedError, WaitTimeoutError } from "./wait-errors.js";

export interface WaitRequest {
  /** `inbox` set = one inbox; omitted = every inbox. `since` = only sequences above it. */
  filter: MessageFilter;
  count: number;
  /**
   * The most matches the answer carries (default `count`): when the store already holds more than
   * `count`, the answer holds the first `limit` of them, so a client that checks part of its filter
   * itself reads a backlog in pages rather than one request per candidate.
   */
  limit?: number;
  timeoutMs: number;
  /** Aborted when the client goes away: the waiter and its timer are dropped at once. */
  signal: AbortSignal;
}

export interface WaitResult {
  /**
   * The first matches after `since`, oldest first, with no gap between them: `count`, or up to
   * `limit` when the store already held more. Summaries, present when the wait resolved: the
   * answer loads each whole message as it writes it (`loadMatches`), so a wait for 100 large
   * messages holds one of them in memory at a time, not 100.
   */
  matches: MessageSummary[];
  /** The sequence of the last message returned: pass it as the next `since` to get the ones after these. */
  head: number;
}

/** How many matches one list call fetches while looking for what the store already holds. */
const PAGE_SIZE = 500;
/**
 * Beyond `count`, an answer stops adding matches once their raw bytes would pass this: 500
 * newsletters of 100 KB each would otherwise make one 50 MB answer. Raw size overstates what an
 * answer carries (attachments are listed, not sent), so this errs towards smaller pages.
 */
export const ANSWER_PAGE_BYTES = 8 * 1024 * 1024;
const RECENT_IN_TIMEOUT = 5;

/**
 * Long-poll waits without polling. The registry listens to `message.stored` once; each waiter sits
 * in a map under its inbox (or in the all-inbox set), so a new message costs one map lookup per
 * inbox it was filed in, and reaches only the waiters it may satisfy.
 *
 * Each waiter registers before it looks at what the store already holds, so a message stored
 * during that look is seen either by the look or by the listener (both is fine: matches are kept
 * by id). Its checks run one after another on a per-waiter chain, so matches are decided in
 * sequence order and the answer is always the *first* `count` matches after `since`.
 */
export class WaitRegistry {
  readonly #store: MessageStore;
  readonly #byInbox = new Map<string, Set<Waiter>>();
  readonly #allInboxes = new Set<Waiter>();
  readonly #unsubscribe: () => void;
  readonly #pageBytes: number;
  #size = 0;
  #closed = false;

  constructor(store: MessageStore, bus: EventBus, options: { pageBytes?: number } = {}) {
    this.#store = store;
    this.#pageBytes = options.pageBytes ?? ANSWER_PAGE_BYTES;
    this.#unsubscribe = bus.on("message.stored", ({ message }) => this.#onStored(message));
  }

  /** True once `close` ran (the server is shutting down). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Waits being held open right now. */
  get size(): number {
    return this.#size;
  }

  /**
   * Resolves once `count` matching messages exist (including ones stored before the call).
   * Rejects with `WaitTimeoutError` (with what the inbox does hold) after `timeoutMs`,
   * `WaitAbortedError` when `signal` aborts, `WaitClosedError` when the registry closes.
   */
  wait(request: WaitRequest): Promise<WaitResult> {
    if (this.#closed) return Promise.reject(new WaitClosedError());
    if (request.signal.aborted) return Promise.reject(new WaitAbortedError());
    return new Promise<WaitResult>((resolve, reject) => {
      const waiter = new Waiter(request, resolve, reject);
      this.#add(waiter);
      const onAbort = () => this.#settle(waiter, () => reject(new WaitAbortedError()));
      request.signal.addEventListener("abort", onAbort, { once: true });
      waiter.cleanups.push(() => request.signal.removeEventListener("abort", onAbort));
      // The timeout queues behind checks already running, so a message found by then still counts.
      const timer = setTimeout(() => this.#enqueue(waiter, () => this.#expire(waiter)), request.timeoutMs);
      waiter.cleanups.push(() => clearTimeout(timer));
      this.#enqueue(waiter, () => this.#lookAtStore(waiter));
    });
  }

  /** Rejects every open wait with `WaitClosedError` and stops listening. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    for (const waiter of [...this.#allInboxes, ...[...this.#byInbox.values()].flatMap((set) => [...set])]) {
      this.#settle(waiter, () => waiter.reject(new WaitClosedError()));
    }
  }

  #onStored(summary: MessageSummary): void {
    if (this.#size === 0) return;
    const since = (waiter: Waiter) => waiter.request.filter.since ?? 0;
    const candidates = [...this.#allInboxes];
    for (const inbox of summary.inboxes) {
      const waiters = this.#byInbox.get(inbox);
      if (waiters) candidates.push(...waiters);
    }
    for (const waiter of candidates) {
      if (summary.sequence > since(waiter)) this.#enqueue(waiter, () => this.#consider(waiter, summary));
    }
  }

  async #lookAtStore(waiter: Waiter): Promise<void> {
    let cursor: string | null = null;
    do {
      const page = await this.#store.list({
        ...waiter.request.filter,
        limit: PAGE_SIZE,
        ...(cursor === null ? {} : { cursor }),
      });
      for (const summary of page.messages) waiter.matched.set(summary.id, summary);
      cursor = page.nextCursor;
    } while (cursor !== null && !waiter.settled);
    await this.#completeIfSatisfied(waiter);
  }

  async #consider(waiter: Waiter, summary: MessageSummary): Promise<void> {
    if (waiter.matched.has(summary.id) || !(await this.#store.matches(summary, waiter.request.filter)))
      return;
    waiter.matched.set(summary.id, summary);
    await this.#completeIfSatisfied(waiter);
  }

  async #completeIfSatisfied(waiter: Waiter): Promise<void> {
    if (waiter.matched.size < waiter.request.count) return;
    // `matched` holds every match up to the newest one seen (the look read the whole store after
    // `since`; the listener adds later ones in sequence order), so these are the first ones.
    const sorted = [...waiter.matched.values()].sort((a, b) => a.sequence - b.sequence);
    const first = firstPage(sorted, waiter.request.count, waiter.request.limit ?? 0, this.#pageBytes);
    const deleted = first.filter((summary) => this.#store.summary(summary.id) === null);
    if (deleted.length > 0) {
      // Deleted since they matched: forget them, and answer with the others if they still make
      // `count` (a page of 500 must not wait for new mail because one of it was deleted).
      for (const summary of deleted) waiter.matched.delete(summary.id);
      return this.#completeIfSatisfied(waiter);
    }
    const head = first[first.length - 1]?.sequence ?? 0;
    this.#settle(waiter, () => waiter.resolve({ matches: first, head }));
  }

  async #expire(waiter: Waiter): Promise<void> {
    const { filter, count, timeoutMs } = waiter.request;
    const matched = waiter.matched.size;
    // Take the waiter out first: from here on, new mail must not answer it.
    this.#settle(waiter, () => {});
    // What the client addressed (the inbox, or `to` across inboxes), so it can see what did arrive there.
    const scope: MessageFilter = {
      ...(filter.inbox === undefined ? {} : { inbox: filter.inbox }),
      ...(filter.to === undefined ? {} : { to: filter.to }),
    };
    try {
      const page = await this.#store.list({ ...scope, limit: RECENT_IN_TIMEOUT });
      const inboxCount =
        filter.inbox === undefined
          ? this.#store.messageCount
          : (this.#store.getInbox(filter.inbox)?.messageCount ?? 0);
      const recent = page.messages.map(recentMessage);
      waiter.reject(
        new WaitTimeoutError(
          { filter, count, timeoutMs },
          { matched, inboxCount, recent, head: this.#store.head },
        ),
      );
    } catch (error) {
      waiter.reject(error);
    }
  }

  /** Runs `step` after the waiter's earlier steps; a failure rejects the waiter (with that error), not the bus. */
  #enqueue(waiter: Waiter, step: () => Promise<void>): void {
    waiter.chain = waiter.chain
      .then(() => (waiter.settled ? undefined : step()))
      .catch((error: unknown) => this.#settle(waiter, () => waiter.reject(error)));
  }

  #add(waiter: Waiter): void {
    const inbox = waiter.request.filter.inbox;
    if (inbox === undefined) {
      this.#allInboxes.add(waiter);
    } else {
      let waiters = this.#byInbox.get(inbox);
      if (!waiters) {
        waiters = new Set();
        this.#byInbox.set(inbox, waiters);
      }
      waiters.add(waiter);
    }
    this.#size++;
  }

  /** Removes the waiter and its timer and listener, then runs `answer`; only the first call does anything. */
  #settle(waiter: Waiter, answer: () => void): void {
    if (waiter.settled) return;
    waiter.settled = true;
    for (const cleanup of waiter.cleanups) cleanup();
    const inbox = waiter.request.filter.inbox;
    if (inbox === undefined) {
      this.#allInboxes.delete(waiter);
    } else {
      const waiters = this.#byInbox.get(inbox);
      waiters?.delete(waiter);
      if (waiters?.size === 0) this.#byInbox.delete(inbox);
    }
    this.#size--;
    answer();
  }
}

class Waiter {
  /** Matching summaries seen so far, by id (the store look and the listener may both report one). */
  readonly matched = new Map<string, MessageSummary>();
  readonly cleanups: (() => void)[] = [];
  chain: Promise<void> = Promise.resolve();
  settled = false;

  constructor(
    readonly request: WaitRequest,
    readonly resolve: (result: WaitResult) => void,
    readonly reject: (error: unknown) => void,
  ) {}
}

/** The first `count`, then more up to `limit` while their raw bytes stay within `pageBytes`. */
function firstPage(
  sorted: readonly MessageSummary[],
  count: number,
  limit: number,
  pageBytes: number,
): MessageSummary[] {
  let bytes = 0;
  let taken = 0;
  for (const summary of sorted) {
    if (taken >= Math.max(count, limit)) break;
    if (taken >= count && bytes + summary.size > pageBytes) break;
    bytes += summary.size;
    taken++;
  }
  return sorted.slice(0, taken);
}

/**
 * Each match of a wait loaded whole, one at a time as the answer is written. A message deleted
 * between the wait's answer and its turn here yields null (the writer leaves it out), as a list
 * page does with a message deleted while it is read.
 */
export async function* loadMatches(
  store: Pick<MessageStore, "get">,
  matches: readonly MessageSummary[],
): AsyncGenerator<StoredMessage | null> {
  for (const summary of matches) yield await store.get(summary.id);
}

function recentMessage(summary: MessageSummary): RecentMessage {
  const from = summary.from[0];
  return {
    id: summary.id,
    sequence: summary.sequence,
    subject: summary.subject,
    from: from ? (from.name ? `${from.name} <${from.address}>` : from.address) : summary.mailFrom,
    receivedAt: summary.receivedAt,
  };
}
