import type { Readable } from "node:stream";
import { normalizeAddress } from "@mailnest/protocol";
import { attachmentContent } from "./attachment-content.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { type PreparedFilter, prepareFilter } from "./match-query.js";
import { lowerBound } from "./message-index.js";
import type {
  IndexedPage,
  IndexedSummary,
  IntegrityCheck,
  MessageFilter,
  MessagePage,
  MessageQuery,
} from "./message-store.js";
import { type AttachmentMeta, MESSAGE_ID_PATTERN, type MessageSummary, type StoredMessage } from "./model.js";
import { RawIntegrity } from "./raw-integrity.js";
import { RecentMessages } from "./recent-messages.js";
import { readServedSidecar } from "./recover-sidecar.js";
import { type Sidecar, snippetOfView, storedMessage } from "./sidecar.js";
import type { StoreParts } from "./store-parts.js";

const MAX_PAGE_SIZE = 500;
/** Sidecars a query reads at once: enough to keep the thread pool busy, few enough to stop early. */
const SIDECAR_READ_BATCH = 16;

/**
 * Everything that reads: single messages (from the cache of recent messages, else their sidecar,
 * repaired if need be), raw bytes and attachments (verified against what ingest recorded), pages
 * of summaries and the filter checks of waiters. Changes nothing but its own caches.
 */
export class StoreQueries {
  readonly #parts: StoreParts;
  readonly #recent = new RecentMessages();
  readonly #integrity: RawIntegrity;
  readonly #preparedFilters = new WeakMap<MessageFilter, PreparedFilter>();

  constructor(parts: StoreParts) {
    this.#parts = parts;
    this.#integrity = new RawIntegrity(parts.blobs);
  }

  /** A message has just become visible (ingest, in sequence order), with its summary's snippet. */
  remember(sidecar: Sidecar, snippet: string): void {
    this.#recent.remember(sidecar);
    this.#parts.searchText.add(sidecar.sequence, sidecar.id, sidecar.view.visibleText, snippet);
  }

  /**
   * A summary of the index as the contract serves it. The index leaves snippets out (200 characters
   * of every message, about 11 MB of heap at 50,000, docs/storage.md "Memory"): it is read from the
   * message's search-text record, else (records still loading at startup, written by an earlier
   * version, or failed) made from the sidecar, cached or read. Synchronous, so that an event carries
   * it in the order the changes happened. "" when the sidecar is gone too (`get` repairs it).
   */
  served(summary: IndexedSummary): MessageSummary {
    // A spread, not `Object.assign({}, …)`: that makes a dictionary-mode object of ~23 fields.
    return { ...summary, snippet: this.#snippet(summary) };
  }

  #snippet(summary: IndexedSummary): string {
    const recorded = this.#parts.searchText.snippet(summary.sequence);
    if (recorded !== null) return recorded;
    const sidecar = this.#recent.get(summary.id) ?? this.#parts.blobs.readSidecarSync(summary.id);
    return sidecar === null ? "" : snippetOfView(sidecar.view);
  }

  /** A message is gone: nothing of it may be served from a cache, nor found by a search. */
  forget(message: Pick<MessageSummary, "id" | "sequence">): void {
    this.#recent.forget(message.id);
    this.#integrity.forget(message.id);
    this.#parts.searchText.remove(message.sequence);
  }

  /**
   * A recent message comes from memory: a waiter answering with a message stored a moment ago reads
   * nothing back. Only its sidecar's presence is checked, so one that vanished meanwhile is still
   * rebuilt from the `.eml` here, as for any other message.
   */
  async get(id: string): Promise<StoredMessage | null> {
    const summary = MESSAGE_ID_PATTERN.test(id) ? this.#parts.index.get(id) : undefined;
    if (!summary) return null;
    const recent = this.#recent.get(id);
    const sidecar =
      recent && (await this.#parts.blobs.hasSidecar(id)) ? recent : await this.#storedSidecar(summary);
    return sidecar === null ? null : storedMessage(summary, sidecar);
  }

  summary(id: string): IndexedSummary | null {
    return this.#parts.index.get(id) ?? null;
  }

  async readRaw(id: string): Promise<Readable | null> {
    const summary = MESSAGE_ID_PATTERN.test(id) ? this.#parts.index.get(id) : undefined;
    if (!summary) return null;
    return this.#integrity.read(summary, () => this.#indexed(id));
  }

  get damagedCount(): number {
    return this.#integrity.damagedCount;
  }

  checkIntegrity(): Promise<IntegrityCheck> {
    // A snapshot: messages arriving or going meanwhile do not shift the walk.
    return this.#integrity.checkAll([...this.#parts.index.all()], (id) => this.#indexed(id));
  }

  readAttachment(
    id: string,
    attachmentId: string,
  ): Promise<{ meta: AttachmentMeta; content: Readable } | null> {
    return attachmentContent(
      attachmentId,
      () => this.get(id),
      (message) => this.#integrity.read(message, () => this.#indexed(id), { whole: true }),
      this.#parts.parser,
    );
  }

  async list(query: MessageQuery): Promise<MessagePage> {
    const page = await this.listIndexed(query);
    return { ...page, messages: page.messages.map((summary) => this.served(summary)) };
  }

  async listIndexed(query: MessageQuery): Promise<IndexedPage> {
    const { index } = this.#parts;
    const head = this.#parts.sequencer.head;
    const limit = Math.min(Math.max(Math.trunc(query.limit), 1), MAX_PAGE_SIZE);
    const filter = this.#prepare(query);
    // `text` is answered from the search text; a sidecar is read only for what it cannot answer.
    const scan = filter.textNeedle === null ? null : this.#parts.searchText.scan(filter.textNeedle);
    const candidates =
      query.inbox === undefined ? index.all() : index.inboxMessages(normalizeAddress(query.inbox));
    let end =
      query.cursor === undefined ? candidates.length : lowerBound(candidates, decodeCursor(query.cursor));
    // A text filter reads between checks; walk a snapshot so concurrent changes cannot shift
    // positions under the loop.
    const walk = filter.needsFullMessage ? candidates.slice(0, end) : candidates;
    end = Math.min(end, walk.length);

    const found: MessageSummary[] = [];
    let position = end - 1;
    while (position >= 0 && found.length <= limit) {
      // The summaries that pass every check answered without a sidecar, in walk order; `toRead`
      // marks those whose sidecar must still be read (read concurrently, judged in order).
      const batch: MessageSummary[] = [];
      const toRead: boolean[] = [];
      let reads = 0;
      for (
        ;
        position >= 0 && reads < SIDECAR_READ_BATCH && found.length + batch.length <= limit;
        position--
      ) {
        const summary = walk[position]!;
        if (query.since !== undefined && summary.sequence <= query.since) {
          position = -1;
          break;
        }
        if (!filter.matchesSummary(summary)) continue;
        let read = filter.needsFullMessage;
        if (scan !== null) {
          while (!scan.covers(summary.sequence)) await scan.extend();
          const verdict = scan.verdict(summary.sequence);
          if (verdict === false) continue;
          read = verdict === null || filter.matchNeedsFullMessage;
        }
        batch.push(summary);
        toRead.push(read);
        if (read) reads += 1;
      }
      // Without reads there is no await: a list without a text filter runs in one synchronous go.
      if (reads === 0) {
        found.push(...batch);
        continue;
      }
      const verdicts = await Promise.all(
        batch.map((summary, i) => (toRead[i] ? this.#matches(summary, filter) : true)),
      );
      batch.forEach((summary, i) => {
        if (verdicts[i] && found.length <= limit) found.push(summary);
      });
    }
    // One match past the limit tells whether another page exists.
    const more = found.length > limit;
    const messages = found.slice(0, limit);
    return { messages, nextCursor: more ? encodeCursor(messages.at(-1)!.sequence) : null, head };
  }

  async matches(summary: IndexedSummary, filter: MessageFilter): Promise<boolean> {
    return this.#matches(summary, this.#prepare(filter));
  }

  #matches(summary: IndexedSummary, filter: PreparedFilter): boolean | Promise<boolean> {
    if (!filter.matchesSummary(summary)) return false;
    if (!filter.needsFullMessage) return true;
    const recent = this.#recent.get(summary.id);
    if (recent) return filter.matchesFull(storedMessage(summary, recent));
    return this.#storedSidecar(summary).then(
      (sidecar) => sidecar !== null && filter.matchesFull(storedMessage(summary, sidecar)),
    );
  }

  #prepare(filter: MessageFilter): PreparedFilter {
    // Waiters pass the same filter object for every new message: prepare it once.
    let prepared = this.#preparedFilters.get(filter);
    if (!prepared) {
      prepared = prepareFilter(filter);
      this.#preparedFilters.set(filter, prepared);
    }
    return prepared;
  }

  /** From the blob store, repaired if need be. */
  #storedSidecar(summary: IndexedSummary): Promise<Sidecar | null> {
    const { blobs, parser } = this.#parts;
    return readServedSidecar(blobs, parser, summary, () => this.#indexed(summary.id));
  }

  #indexed(id: string): boolean {
    return this.#parts.index.get(id) !== undefined;
  }
}
