import { Readable } from "node:stream";
import { normalizeAddress } from "@mailnest/protocol";
import type { EventBus } from "../events/bus.js";
import type { BlobStore } from "./blob-store.js";
import type { MessageStoreOptions } from "./create-message-store.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { DeadlineTimer } from "./deadline-timer.js";
import { emptyParsedView } from "./empty-parsed-view.js";
import { StorageFailedError } from "./errors.js";
import { matchesVisibleText, type PreparedFilter, prepareFilter } from "./match-query.js";
import { lowerBound, type MessageIndex } from "./message-index.js";
import type {
  InboxInfo,
  IntegrityCheck,
  MessageFilter,
  MessagePage,
  MessageParser,
  MessageQuery,
  MessageStore,
} from "./message-store.js";
import {
  ATTACHMENT_ID_PATTERN,
  type AttachmentMeta,
  type Envelope,
  type IncomingEnvelope,
  MESSAGE_ID_PATTERN,
  type MessageSummary,
  type ParsedView,
  type StoredMessage,
} from "./model.js";
import type { PersistedIndex } from "./persisted-index.js";
import { RawIntegrity } from "./raw-integrity.js";
import { receiveRaw } from "./receive-raw.js";
import { inboxesFor, repairSidecar } from "./recover-sidecar.js";
import { messagesToPrune, nextAgeDeadline, type RetentionPolicy } from "./retention.js";
import type { Sequencer } from "./sequencer.js";
import { needsReparse, type Sidecar, storedMessage, summaryFromSidecar } from "./sidecar.js";
import { createMessageId } from "./ulid.js";

const MAX_PAGE_SIZE = 500;
/** Sidecars a `text` search reads at once: enough to keep the thread pool busy, few enough to stop early. */
const TEXT_SEARCH_BATCH = 16;
/** Bodies of the newest messages, so waiters with a `text` filter match a new message without a disk read. */
const RECENT_BODIES = 64;
/** Larger bodies are not cached: 64 newsletters must not pin megabytes. */
const RECENT_BODY_MAX_CHARS = 64 * 1024;

/**
 * The store behind `createMessageStore`: ingest, queries, inboxes and retention over a blob store
 * (files or memory), the in-memory index and its lowdb persistence. See docs/storage.md.
 */
export class LocalMessageStore implements MessageStore {
  readonly #parser: MessageParser;
  readonly #bus: EventBus;
  readonly #policy: RetentionPolicy;
  readonly #blobs: BlobStore;
  readonly #persisted: PersistedIndex;
  readonly #index: MessageIndex;
  readonly #sequencer: Sequencer;
  readonly #housekeeping = new DeadlineTimer(() => this.sweep());
  /** Ingests and file deletions still running; close() waits for them. */
  readonly #pending = new Set<Promise<unknown>>();
  readonly #preparedFilters = new WeakMap<MessageFilter, PreparedFilter>();
  readonly #recentBodies = new Map<string, string>();
  readonly #integrity: RawIntegrity;
  #closing: Promise<void> | null = null;

  constructor(
    options: MessageStoreOptions,
    blobs: BlobStore,
    persisted: PersistedIndex,
    index: MessageIndex,
    sequencer: Sequencer,
  ) {
    this.#parser = options.parser;
    this.#bus = options.bus;
    this.#policy = { maxMessages: Math.max(1, options.maxMessages), maxAgeMs: options.maxAgeMs };
    this.#blobs = blobs;
    this.#integrity = new RawIntegrity(blobs);
    this.#persisted = persisted;
    this.#index = index;
    this.#sequencer = sequencer;
  }

  get head(): number {
    return this.#sequencer.head;
  }

  get messageCount(): number {
    return this.#index.count;
  }

  ingest(raw: Readable, envelope: IncomingEnvelope, options: { maxSize: number }): Promise<StoredMessage> {
    if (this.#closing) {
      raw.resume();
      return Promise.reject(new StorageFailedError("accepting a message", new Error("the store is closed")));
    }
    return this.#track(this.#ingest(raw, envelope, options.maxSize));
  }

  async #ingest(raw: Readable, incoming: IncomingEnvelope, maxSize: number): Promise<StoredMessage> {
    const { sink, size, sha256, receivedAt } = await receiveRaw(raw, this.#blobs, maxSize);
    // The fsync runs while parsing reads the bytes back (from the page cache); commit awaits it.
    sink.sync().catch(() => {});
    const view = await this.#parse(sink.read());

    const id = createMessageId();
    const sequence = this.#sequencer.next();
    const envelope: Envelope = { ...incoming, rcptTo: [...incoming.rcptTo], receivedAt };
    const sidecar: Sidecar = {
      version: 1,
      id,
      sequence,
      inboxes: inboxesFor(incoming.rcptTo),
      envelope,
      size,
      sha256,
      view,
    };
    try {
      await this.#blobs.commit(sink, id, sidecar);
    } catch (error) {
      void this.#sequencer.settle(sequence, null);
      await sink.discard();
      throw new StorageFailedError("committing the message", error);
    }

    // A fresh copy: strings sliced out of the parsed message (subject, names, snippet) would otherwise
    // keep their whole source strings alive for as long as the summary lives in memory.
    const summary = structuredClone(summaryFromSidecar(sidecar, false));
    await this.#sequencer.settle(sequence, () => this.#publish(summary, view));
    return storedMessage(summary, sidecar);
  }

  async #parse(raw: Readable): Promise<ParsedView> {
    try {
      return await this.#parser.parse(raw);
    } catch (error) {
      return emptyParsedView(error instanceof Error ? error.message : String(error));
    }
  }

  /** Runs in sequence order: from here on the message is visible to get/list/waiters. */
  #publish(summary: MessageSummary, view: ParsedView): void {
    this.#index.add(summary);
    this.#persisted.markSequence(summary.sequence);
    this.#persisted.markState();
    this.#rememberBodies(summary.id, view.visibleText);
    this.#bus.emit("message.stored", { message: summary });
    this.#prune(messagesToPrune(this.#index.all(), this.#policy, Date.now()));
    this.#housekeeping.schedule(nextAgeDeadline(this.#index.oldest(), this.#policy));
  }

  async get(id: string): Promise<StoredMessage | null> {
    const summary = MESSAGE_ID_PATTERN.test(id) ? this.#index.get(id) : undefined;
    if (!summary) return null;
    const sidecar = await this.#sidecar(summary);
    return sidecar === null ? null : storedMessage(summary, sidecar);
  }

  summary(id: string): MessageSummary | null {
    return this.#index.get(id) ?? null;
  }

  async readRaw(id: string): Promise<Readable | null> {
    const summary = MESSAGE_ID_PATTERN.test(id) ? this.#index.get(id) : undefined;
    if (!summary) return null;
    return this.#integrity.read(summary, () => this.#index.get(id) !== undefined);
  }

  get damagedCount(): number {
    return this.#integrity.damagedCount;
  }

  checkIntegrity(): Promise<IntegrityCheck> {
    // A snapshot: messages arriving or going meanwhile do not shift the walk.
    return this.#integrity.checkAll([...this.#index.all()], (id) => this.#index.get(id) !== undefined);
  }

  /**
   * Re-parses the `.eml` rather than keeping attachment files: ingest (the hot path, fsync'd) writes
   * two files per message whatever it carries, and downloading an attachment is rare by comparison.
   */
  async readAttachment(
    id: string,
    attachmentId: string,
  ): Promise<{ meta: AttachmentMeta; content: Readable } | null> {
    if (!ATTACHMENT_ID_PATTERN.test(attachmentId)) return null;
    const message = await this.get(id);
    const position = message?.attachments.findIndex((attachment) => attachment.id === attachmentId) ?? -1;
    const meta = message?.attachments[position];
    if (!meta) return null;
    // Read whole and verified first: an attachment cut from damaged bytes would be served as genuine.
    const raw = await this.#integrity.read(message, () => this.#index.get(id) !== undefined, { whole: true });
    if (raw === null) return null;
    const content = await this.#parser.attachmentContent(raw, position);
    return content === null ? null : { meta, content: Readable.from([content]) };
  }

  async list(query: MessageQuery): Promise<MessagePage> {
    const head = this.head;
    const limit = Math.min(Math.max(Math.trunc(query.limit), 1), MAX_PAGE_SIZE);
    const filter = this.#prepare(query);
    const candidates =
      query.inbox === undefined
        ? this.#index.all()
        : this.#index.inboxMessages(normalizeAddress(query.inbox));
    let end =
      query.cursor === undefined ? candidates.length : lowerBound(candidates, decodeCursor(query.cursor));
    // A text filter reads bodies from disk between checks; walk a snapshot so concurrent changes
    // cannot shift positions under the loop.
    const walk = filter.textNeedle === null ? candidates : candidates.slice(0, end);
    end = Math.min(end, walk.length);

    const found: MessageSummary[] = [];
    let position = end - 1;
    while (position >= 0 && found.length <= limit) {
      // Without a text filter every check is synchronous: one batch, no await, nothing can interleave.
      // With one, the bodies of a batch are read from disk concurrently and judged in order.
      const batch: MessageSummary[] = [];
      for (; position >= 0 && batch.length < TEXT_SEARCH_BATCH; position--) {
        const summary = walk[position]!;
        if (query.since !== undefined && summary.sequence <= query.since) {
          position = -1;
          break;
        }
        if (filter.matchesSummary(summary)) batch.push(summary);
        if (filter.textNeedle === null && found.length + batch.length > limit) break;
      }
      if (filter.textNeedle === null) {
        found.push(...batch);
        continue;
      }
      const verdicts = await Promise.all(batch.map((summary) => this.#matches(summary, filter)));
      batch.forEach((summary, i) => {
        if (verdicts[i] && found.length <= limit) found.push(summary);
      });
    }
    // One match past the limit tells whether another page exists.
    const more = found.length > limit;
    const messages = found.slice(0, limit);
    return { messages, nextCursor: more ? encodeCursor(messages.at(-1)!.sequence) : null, head };
  }

  async matches(summary: MessageSummary, filter: MessageFilter): Promise<boolean> {
    return this.#matches(summary, this.#prepare(filter));
  }

  #matches(summary: MessageSummary, filter: PreparedFilter): boolean | Promise<boolean> {
    if (!filter.matchesSummary(summary)) return false;
    if (filter.textNeedle === null) return true;
    const needle = filter.textNeedle;
    return this.#bodies(summary).then((text) => text !== null && matchesVisibleText(needle, text));
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

  async #bodies(summary: MessageSummary): Promise<string | null> {
    const recent = this.#recentBodies.get(summary.id);
    if (recent) return recent;
    const sidecar = await this.#sidecar(summary);
    return sidecar === null ? null : sidecar.view.visibleText;
  }

  #rememberBodies(id: string, visibleText: string): void {
    if (visibleText.length > RECENT_BODY_MAX_CHARS) return;
    this.#recentBodies.set(id, visibleText);
    if (this.#recentBodies.size > RECENT_BODIES) {
      const oldest = this.#recentBodies.keys().next().value;
      if (oldest !== undefined) this.#recentBodies.delete(oldest);
    }
  }

  /** The sidecar of an indexed message; rebuilt from the `.eml` if it went missing since startup. */
  async #sidecar(summary: MessageSummary): Promise<Sidecar | null> {
    const sidecar = await this.#blobs.readSidecar(summary.id);
    if ((sidecar !== null && !needsReparse(sidecar)) || !this.#index.get(summary.id)) return sidecar;
    return repairSidecar(this.#blobs, this.#parser, summary);
  }

  listInboxes(): InboxInfo[] {
    return this.#index.inboxes();
  }

  getInbox(address: string): InboxInfo | null {
    return this.#index.inbox(normalizeAddress(address));
  }

  createInbox(address: string, options: { ttlMs?: number } = {}): InboxInfo {
    const { ttlMs } = options;
    if (ttlMs !== undefined && !(Number.isFinite(ttlMs) && ttlMs > 0)) {
      throw new TypeError(`Expected ttlMs to be a positive number of milliseconds, got ${ttlMs}`);
    }
    const normalized = normalizeAddress(address);
    if (normalized === "") throw new TypeError("Expected an inbox address, got an empty string");
    const listed = this.#index.inbox(normalized) !== null;
    const existing = this.#index.registration(normalized);
    const now = Date.now();
    const expiresAt =
      ttlMs === undefined ? (existing?.expiresAt ?? null) : new Date(now + ttlMs).toISOString();
    this.#index.register({
      address: normalized,
      createdAt: existing?.createdAt ?? new Date(now).toISOString(),
      expiresAt,
    });
    this.#persisted.markState();
    if (expiresAt !== null) this.#housekeeping.schedule(Date.parse(expiresAt));
    if (!listed) this.#bus.emit("inbox.created", { address: normalized });
    return this.#index.inbox(normalized)!;
  }

  async clearInbox(address: string): Promise<number> {
    const inbox = normalizeAddress(address);
    const messages = [...this.#index.inboxMessages(inbox)];
    const work: Promise<void>[] = [];
    for (const summary of messages) {
      if (summary.inboxes.length <= 1) {
        this.#forget(summary);
        work.push(this.#removeFiles(summary.id));
      } else {
        this.#index.removeFromInbox(summary, inbox);
        this.#persisted.markSequence(summary.sequence);
        this.#bus.emit("message.updated", { message: summary });
        work.push(this.#saveInboxes(summary));
      }
    }
    await Promise.all(work);
    if (messages.length > 0 || this.#index.inbox(inbox) !== null)
      this.#bus.emit("inbox.cleared", { address: inbox });
    return messages.length;
  }

  async deleteInbox(address: string): Promise<boolean> {
    const inbox = normalizeAddress(address);
    if (this.#index.inbox(inbox) === null) return false;
    await this.clearInbox(inbox);
    this.#index.unregister(inbox);
    this.#persisted.markState();
    this.#bus.emit("inbox.deleted", { address: inbox });
    return true;
  }

  async deleteMessage(id: string): Promise<boolean> {
    const summary = MESSAGE_ID_PATTERN.test(id) ? this.#index.get(id) : undefined;
    if (!summary) return false;
    this.#forget(summary);
    await this.#removeFiles(id);
    return true;
  }

  async deleteAll(): Promise<number> {
    const all = [...this.#index.all()];
    for (const summary of all) this.#forget(summary);
    await Promise.all(all.map((summary) => this.#removeFiles(summary.id)));
    return all.length;
  }

  async setRead(id: string, read: boolean): Promise<MessageSummary | null> {
    const summary = this.#index.get(id);
    if (!summary) return null;
    this.#markRead(summary, read);
    return summary;
  }

  async setInboxRead(address: string | null, read: boolean): Promise<number> {
    const messages =
      address === null ? this.#index.all() : this.#index.inboxMessages(normalizeAddress(address));
    let changed = 0;
    for (const summary of [...messages]) {
      if (this.#markRead(summary, read)) changed += 1;
    }
    return changed;
  }

  #markRead(summary: MessageSummary, read: boolean): boolean {
    if (!this.#index.setRead(summary, read)) return false;
    this.#persisted.markSequence(summary.sequence);
    this.#bus.emit("message.updated", { message: summary });
    return true;
  }

  /** Age retention and inbox TTLs; runs at startup and whenever the earliest deadline passes. */
  sweep(): void {
    const now = Date.now();
    let nextDeadline: number | null = null;
    for (const registration of this.#index.registrations()) {
      if (registration.expiresAt === null) continue;
      const expiresAt = Date.parse(registration.expiresAt);
      if (expiresAt <= now) {
        this.#track(this.deleteInbox(registration.address));
      } else if (nextDeadline === null || expiresAt < nextDeadline) {
        nextDeadline = expiresAt;
      }
    }
    this.#prune(messagesToPrune(this.#index.all(), this.#policy, now));
    this.#housekeeping.schedule(nextDeadline);
    this.#housekeeping.schedule(nextAgeDeadline(this.#index.oldest(), this.#policy));
  }

  #prune(victims: MessageSummary[]): void {
    for (const summary of victims) {
      this.#forget(summary);
      this.#track(this.#removeFiles(summary.id));
    }
  }

  /** Takes a message out of the index (and so out of every list) and announces it. */
  #forget(summary: MessageSummary): void {
    if (this.#index.remove(summary.id) === null) return;
    this.#recentBodies.delete(summary.id);
    this.#integrity.forget(summary.id);
    this.#persisted.markSequence(summary.sequence);
    this.#bus.emit("message.deleted", { id: summary.id, inboxes: summary.inboxes });
  }

  async #removeFiles(id: string): Promise<void> {
    try {
      await this.#blobs.remove(id);
    } catch (error) {
      // Already gone from the index; a leftover file is re-added at the next startup, at worst.
      console.error(`mailnest: could not delete the files of message ${id}:`, error);
    }
  }

  /** Keeps the sidecar's inbox list in step, so a rebuilt index does not bring a cleared inbox back. */
  async #saveInboxes(summary: MessageSummary): Promise<void> {
    try {
      const sidecar = await this.#blobs.readSidecar(summary.id);
      if (sidecar !== null && this.#index.get(summary.id)) {
        await this.#blobs.writeSidecar({ ...sidecar, inboxes: summary.inboxes });
      }
    } catch (error) {
      console.error(`mailnest: could not update the sidecar of message ${summary.id}:`, error);
    }
  }

  #track<T>(task: Promise<T>): Promise<T> {
    const settled = task.then(
      () => {},
      () => {},
    );
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
    return task;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#housekeeping.stop();
      while (this.#pending.size > 0) await Promise.all(this.#pending);
      await this.#persisted.flush();
      await this.#blobs.close();
    })();
    return this.#closing;
  }
}
