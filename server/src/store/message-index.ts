import type { InboxInfo } from "./message-store.js";
import type { MessageSummary } from "./model.js";
import { type IdentityCache, SummaryInterner } from "./summary-interner.js";

/** An inbox created through the API (listed before mail arrives, optionally with an expiry). */
export interface InboxRegistration {
  address: string;
  createdAt: string;
  expiresAt: string | null;
}

interface InboxEntry {
  address: string;
  /** Ascending by sequence. */
  messages: MessageSummary[];
  unread: number;
  registration: InboxRegistration | null;
}

/**
 * The in-memory index: every summary (never bodies), ordered by sequence, by id, and per inbox.
 * Summaries are shared by reference between the three views; `read` and `inboxes` change only
 * through this class so the counters stay right. Adding the newest message is O(1) amortised.
 */
export class MessageIndex {
  /** Ascending by sequence. */
  readonly #all: MessageSummary[] = [];
  readonly #byId = new Map<string, MessageSummary>();
  #unread = 0;
  readonly #inboxes = new Map<string, InboxEntry>();
  /** Summaries share their repeated values (addresses, inbox keys): about half of their heap. */
  readonly #interner = new SummaryInterner();

  get count(): number {
    return this.#all.length;
  }

  /** Ascending by sequence. Do not mutate. */
  all(): readonly MessageSummary[] {
    return this.#all;
  }

  /** Ascending by sequence; empty for an unknown inbox. Do not mutate. */
  inboxMessages(address: string): readonly MessageSummary[] {
    return this.#inboxes.get(address)?.messages ?? [];
  }

  get(id: string): MessageSummary | undefined {
    return this.#byId.get(id);
  }

  oldest(): MessageSummary | undefined {
    return this.#all[0];
  }

  /** Summaries with `from <= sequence < to`, ascending. */
  range(from: number, to: number): MessageSummary[] {
    return this.#all.slice(lowerBound(this.#all, from), lowerBound(this.#all, to));
  }

  /** Many summaries at once, in sequence order (a store's load): see `SummaryInterner.compact`. */
  addAll(summaries: Iterable<MessageSummary>): void {
    const seen: IdentityCache = new Map();
    for (const summary of summaries) this.add(summary, seen);
  }

  /** Unread messages, each counted once however many inboxes list it. */
  get unreadCount(): number {
    return this.#unread;
  }

  add(summary: MessageSummary, seen?: IdentityCache): void {
    this.#interner.compact(summary, seen);
    insertSorted(this.#all, summary);
    this.#byId.set(summary.id, summary);
    if (!summary.read) this.#unread += 1;
    for (const address of summary.inboxes) {
      const entry = this.#entry(address);
      insertSorted(entry.messages, summary);
      if (!summary.read) entry.unread += 1;
    }
  }

  remove(id: string): MessageSummary | null {
    const summary = this.#byId.get(id);
    if (!summary) return null;
    this.#byId.delete(id);
    removeSorted(this.#all, summary);
    if (!summary.read) this.#unread -= 1;
    for (const address of summary.inboxes) this.#detach(summary, address);
    return summary;
  }

  /** Takes `address` off a message listed in several inboxes; the message stays in the others. */
  removeFromInbox(summary: MessageSummary, address: string): void {
    if (!summary.inboxes.includes(address)) return;
    this.#detach(summary, address);
    summary.inboxes = this.#interner.list(summary.inboxes.filter((inbox) => inbox !== address));
  }

  /** Returns whether the flag changed. */
  setRead(summary: MessageSummary, read: boolean): boolean {
    if (summary.read === read) return false;
    summary.read = read;
    this.#unread += read ? -1 : 1;
    for (const address of summary.inboxes) {
      const entry = this.#inboxes.get(address);
      if (entry) entry.unread += read ? -1 : 1;
    }
    return true;
  }

  register(registration: InboxRegistration): void {
    this.#entry(registration.address).registration = registration;
  }

  /** Forgets the registration; the inbox stays listed while it holds mail. */
  unregister(address: string): void {
    const entry = this.#inboxes.get(address);
    if (!entry) return;
    entry.registration = null;
    if (entry.messages.length === 0) this.#inboxes.delete(address);
  }

  registration(address: string): InboxRegistration | null {
    return this.#inboxes.get(address)?.registration ?? null;
  }

  registrations(): InboxRegistration[] {
    const registrations: InboxRegistration[] = [];
    for (const entry of this.#inboxes.values()) {
      if (entry.registration) registrations.push(entry.registration);
    }
    return registrations;
  }

  /** An inbox is listed while it is registered or holds mail. */
  inbox(address: string): InboxInfo | null {
    const entry = this.#inboxes.get(address);
    return entry ? inboxInfo(entry) : null;
  }

  /** Most recently active first. */
  inboxes(): InboxInfo[] {
    return [...this.#inboxes.values()]
      .map(inboxInfo)
      .sort(
        (a, b) =>
          (b.lastReceivedAt ?? b.createdAt).localeCompare(a.lastReceivedAt ?? a.createdAt) ||
          a.address.localeCompare(b.address),
      );
  }

  #entry(address: string): InboxEntry {
    let entry = this.#inboxes.get(address);
    if (!entry) {
      entry = { address, messages: [], unread: 0, registration: null };
      this.#inboxes.set(address, entry);
    }
    return entry;
  }

  #detach(summary: MessageSummary, address: string): void {
    const entry = this.#inboxes.get(address);
    if (!entry) return;
    if (removeSorted(entry.messages, summary) && !summary.read) entry.unread -= 1;
    if (entry.messages.length === 0 && entry.registration === null) this.#inboxes.delete(address);
  }
}

function inboxInfo(entry: InboxEntry): InboxInfo {
  const newest = entry.messages.at(-1);
  const oldest = entry.messages[0];
  return {
    address: entry.address,
    messageCount: entry.messages.length,
    unreadCount: entry.unread,
    lastReceivedAt: newest?.receivedAt ?? null,
    createdAt: entry.registration?.createdAt ?? oldest?.receivedAt ?? new Date().toISOString(),
    expiresAt: entry.registration?.expiresAt ?? null,
  };
}

/** First position whose sequence is >= `sequence`. */
export function lowerBound(list: readonly MessageSummary[], sequence: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list[middle]!.sequence < sequence) low = middle + 1;
    else high = middle;
  }
  return low;
}

function insertSorted(list: MessageSummary[], summary: MessageSummary): void {
  const last = list.at(-1);
  if (last === undefined || last.sequence < summary.sequence) {
    list.push(summary);
    return;
  }
  list.splice(lowerBound(list, summary.sequence), 0, summary);
}

function removeSorted(list: MessageSummary[], summary: MessageSummary): boolean {
  const position = lowerBound(list, summary.sequence);
  if (list[position] !== summary) return false;
  // The oldest goes most often (retention, and every message at the `--max-messages` cap): V8 moves
  // an array's start for `shift` (about 0.2 µs), while `splice(0, 1)` copied all 10,000 entries of
  // a full store (about 73 µs a message, some 5 % of ingest at the cap).
  if (position === 0) list.shift();
  else list.splice(position, 1);
  return true;
}
