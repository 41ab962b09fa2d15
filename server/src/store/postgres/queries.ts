import { Readable } from "node:stream";
import { normalizeAddress } from "@mailnest/protocol";
import { attachmentContent } from "../attachment-content.js";
import { decodeCursor, encodeCursor } from "../cursor.js";
import { type PreparedFilter, prepareFilter } from "../match-query.js";
import { lowerBound } from "../message-index.js";
import type {
  IndexedSummary,
  IntegrityCheck,
  MessageFilter,
  MessagePage,
  MessageParser,
  MessageQuery,
} from "../message-store.js";
import {
  type AttachmentMeta,
  MESSAGE_ID_PATTERN,
  type MessageSummary,
  type StoredMessage,
} from "../model.js";
import { RawIntegrity } from "../raw-integrity.js";
import { RecentMessages } from "../recent-messages.js";
import { type Sidecar, storedMessage } from "../sidecar.js";
import type { Sql } from "./connect.js";
import type { Replica } from "./replica.js";
import { searchNeedle } from "./search-column.js";
import { databaseError } from "./unavailable.js";

const MAX_PAGE_SIZE = 500;
/** Sidecars a full-message filter (`text`, headers) reads per query, newest first. */
const SIDECAR_BATCH = 64;
/** Candidates whose `search_text` one query checks against a `text` needle. */
const TEXT_BATCH = 1000;

/**
 * Everything that reads. Summaries, pages and filters on summaries come from the replica (memory);
 * parsed views (`get`, `text` filters) and raw bytes from PostgreSQL, the raw bytes checked against
 * the size and sha256 recorded at ingest, exactly as the local store does. A read that PostgreSQL
 * cannot answer (down, restarting) rejects with `StorageFailedError`, which the API answers
 * `503 storage_unavailable`, the SMTP layer 451.
 */
export class PostgresQueries {
  readonly #sql: Sql;
  readonly #replica: Replica;
  readonly #parser: MessageParser;
  readonly #recent = new RecentMessages();
  readonly #integrity: RawIntegrity;
  readonly #prepared = new WeakMap<MessageFilter, PreparedFilter>();

  constructor(sql: Sql, replica: Replica, parser: MessageParser) {
    this.#sql = sql;
    this.#replica = replica;
    this.#parser = parser;
    this.#integrity = new RawIntegrity({
      rawSize: async (id) => {
        const [row] = await reading(
          `the size of message ${id}`,
          sql<{ size: number }[]>`SELECT octet_length(raw) AS size FROM mailnest_messages WHERE id = ${id}`,
        );
        return row?.size ?? null;
      },
      readRaw: async (id) => {
        const [row] = await reading(
          `the raw bytes of message ${id}`,
          sql<{ raw: Buffer }[]>`SELECT raw FROM mailnest_messages WHERE id = ${id}`,
        );
        return row ? Readable.from([row.raw]) : null;
      },
    });
  }

  /** A message this instance has just stored. */
  remember(sidecar: Sidecar): void {
    this.#recent.remember(sidecar);
  }

  forget(id: string): void {
    this.#recent.forget(id);
    this.#integrity.forget(id);
  }

  summary(id: string): MessageSummary | null {
    return this.#replica.index.get(id) ?? null;
  }

  async get(id: string): Promise<StoredMessage | null> {
    const summary = MESSAGE_ID_PATTERN.test(id) ? this.#replica.index.get(id) : undefined;
    if (!summary) return null;
    const sidecar = this.#recent.get(id) ?? (await this.#sidecars([id])).get(id);
    return sidecar === undefined ? null : storedMessage(summary, sidecar);
  }

  async readRaw(id: string): Promise<Readable | null> {
    const summary = MESSAGE_ID_PATTERN.test(id) ? this.#replica.index.get(id) : undefined;
    if (!summary) return null;
    return this.#integrity.read(summary, () => this.#indexed(id));
  }

  readAttachment(
    id: string,
    attachmentId: string,
  ): Promise<{ meta: AttachmentMeta; content: Readable } | null> {
    return attachmentContent(
      attachmentId,
      () => this.get(id),
      (message) => this.#integrity.read(message, () => this.#indexed(id), { whole: true }),
      this.#parser,
    );
  }

  get damagedCount(): number {
    return this.#integrity.damagedCount;
  }

  checkIntegrity(): Promise<IntegrityCheck> {
    return this.#integrity.checkAll([...this.#replica.index.all()], (id) => this.#indexed(id));
  }

  /**
   * Newest first, from the replica. Conditions on summaries are checked in memory. For conditions on
   * the full message, a `text` needle is first checked in PostgreSQL on `search_text` for a batch of
   * candidates (only ids come back), then the parsed views of those that may match are read, newest
   * first, until the page (plus one, to know whether there is more) is full.
   */
  async list(query: MessageQuery): Promise<MessagePage> {
    const index = this.#replica.index;
    const head = this.#replica.head;
    const limit = Math.min(Math.max(Math.trunc(query.limit), 1), MAX_PAGE_SIZE);
    const filter = this.#prepare(query);
    const source =
      query.inbox === undefined ? index.all() : index.inboxMessages(normalizeAddress(query.inbox));
    const end = query.cursor === undefined ? source.length : lowerBound(source, decodeCursor(query.cursor));
    // A snapshot: the replica may change while sidecars are read.
    const candidates = source.slice(query.since === undefined ? 0 : lowerBound(source, query.since + 1), end);
    const batchSize = filter.textNeedle === null ? SIDECAR_BATCH : TEXT_BATCH;

    const found: MessageSummary[] = [];
    let position = candidates.length - 1;
    while (position >= 0 && found.length <= limit) {
      const batch: MessageSummary[] = [];
      for (; position >= 0 && batch.length < batchSize && found.length + batch.length <= limit; position--) {
        const summary = candidates[position]!;
        if (filter.matchesSummary(summary)) batch.push(summary);
      }
      if (!filter.needsFullMessage) found.push(...batch);
      else found.push(...(await this.#matchingFull(batch, filter, limit + 1 - found.length)));
    }
    const more = found.length > limit;
    const messages = found.slice(0, limit);
    return { messages, nextCursor: more ? encodeCursor(messages.at(-1)!.sequence) : null, head };
  }

  async matches(summary: IndexedSummary, filter: MessageFilter): Promise<boolean> {
    const prepared = this.#prepare(filter);
    if (!prepared.matchesSummary(summary)) return false;
    if (!prepared.needsFullMessage) return true;
    return (await this.#matchingFull([summary], prepared, 1)).length === 1;
  }

  /** Those of `batch` (newest first) that match in full, at most `wanted` of them. */
  async #matchingFull<S extends IndexedSummary>(
    batch: S[],
    filter: PreparedFilter,
    wanted: number,
  ): Promise<S[]> {
    const possible = await this.#textPrefilter(batch, filter);
    const matching: S[] = [];
    for (let start = 0; start < possible.length && matching.length < wanted; start += SIDECAR_BATCH) {
      const chunk = possible.slice(start, start + SIDECAR_BATCH);
      const missing = chunk.filter((summary) => !this.#recent.get(summary.id)).map((summary) => summary.id);
      const read = missing.length === 0 ? new Map<string, Sidecar>() : await this.#sidecars(missing);
      for (const summary of chunk) {
        const sidecar = this.#recent.get(summary.id) ?? read.get(summary.id);
        if (sidecar !== undefined && filter.matchesFull(storedMessage(summary, sidecar)))
          matching.push(summary);
      }
    }
    return matching.slice(0, wanted);
  }

  /**
   * Drops the messages whose `search_text` shows they cannot hold the needle (`search-column.ts`);
   * keeps those whose parsed view is in memory, and all of them when there is no usable needle.
   */
  async #textPrefilter<S extends IndexedSummary>(batch: S[], filter: PreparedFilter): Promise<S[]> {
    const needle = filter.textNeedle === null ? null : searchNeedle(filter.textNeedle);
    const remote = batch.filter((summary) => !this.#recent.get(summary.id)).map((summary) => summary.id);
    if (needle === null || remote.length === 0) return batch;
    const rows = await reading(
      "the search text of messages",
      this.#sql<{ id: string }[]>`
        SELECT id FROM mailnest_messages
        WHERE id = ANY(${remote}::text[]) AND (search_text IS NULL OR strpos(search_text, ${needle}) > 0)`,
    );
    const possible = new Set(rows.map((row) => row.id));
    return batch.filter((summary) => this.#recent.get(summary.id) !== undefined || possible.has(summary.id));
  }

  async #sidecars(ids: string[]): Promise<Map<string, Sidecar>> {
    const rows = await reading(
      ids.length === 1
        ? `the parsed view of message ${ids[0]}`
        : `the parsed views of ${ids.length} messages`,
      this.#sql<{ id: string; sequence: number; sidecar: Omit<Sidecar, "sequence"> }[]>`
        SELECT id, sequence, sidecar FROM mailnest_messages WHERE id = ANY(${ids}::text[])`,
    );
    // The stored sidecar has no sequence (the column holds it: `group-commit.ts`).
    return new Map(rows.map((row) => [row.id, { ...row.sidecar, sequence: row.sequence }]));
  }

  #prepare(filter: MessageFilter): PreparedFilter {
    let prepared = this.#prepared.get(filter);
    if (!prepared) {
      prepared = prepareFilter(filter);
      this.#prepared.set(filter, prepared);
    }
    return prepared;
  }

  #indexed(id: string): boolean {
    return this.#replica.index.get(id) !== undefined;
  }
}

/** A query's rows, or `StorageFailedError` naming what was being read (the cause says why: refused, terminated…). */
async function reading<T>(what: string, query: PromiseLike<T>): Promise<T> {
  try {
    return await query;
  } catch (error) {
    throw databaseError(`reading ${what} from PostgreSQL`, error);
  }
}
