import { mapConcurrently } from "./map-concurrently.js";
import type { MessageSummary } from "./model.js";
import { CountingWriter, copyLive, SearchCompaction } from "./search-compaction.js";
import { SCAN_CHUNK_BYTES, type ScanSource, SearchScan } from "./search-scan.js";
import { SearchTable } from "./search-table.js";
import {
  declaredRecordBytes,
  decodeRecord,
  NO_SNIPPET,
  RECORD_HEADER_BYTES,
  RecordEncoder,
  recordBytes,
  snippetOfRecord,
} from "./search-text-record.js";
import type { SearchTextStorage } from "./search-text-storage.js";
import { makeSnippet } from "./sidecar.js";

/** Sidecars read at once while rebuilding missing records at startup. */
const REBUILD_CONCURRENCY = 16;
const REBUILD_BATCH = 256;
/** Records of deleted messages are dropped once they outweigh the live ones and this many bytes. */
const COMPACT_MIN_DEAD_BYTES = 4 * 1024 * 1024;
/**
 * Startup reads the file in pieces of this size (a larger record is read whole), checksumming and
 * hashing each one between other work: about 5 ms of the event loop at a time.
 */
const LOAD_CHUNK_BYTES = 1024 * 1024;

/** A message's visible text, from its sidecar (repaired or re-parsed if need be); null when gone. */
export type VisibleTextOf = (summary: MessageSummary) => Promise<string | null>;

/**
 * The precomputed search text of every stored message: `visibleText.toLowerCase()` as UTF-8, one
 * record per message appended when the message becomes visible, so a `text` query scans one file
 * with `Buffer.indexOf` instead of reading a sidecar per message. Each record also holds the
 * message's snippet, ahead of its text: lists read it from here (`snippet`), so that the index does
 * not hold 50,000 of them in the heap. Derived data: never fsync'd, made to agree with the index at
 * startup (torn tail cut, missing records rebuilt from sidecars), compacted when deleted messages
 * outweigh live ones. See docs/storage.md.
 *
 * Startup does not wait for it: the records are loaded (and missing ones rebuilt) in the background,
 * while `text` queries read sidecars as before and new messages and deletions are queued for it.
 *
 * Why bytes match exactly where `visibleText.toLowerCase().includes(needle)` does: both sides are
 * lowercased whole, the same way; UTF-8 is self-synchronizing, so a byte match of one well-formed
 * string inside another starts and ends on character boundaries. Only lone surrogates differ (UTF-8
 * writes them as U+FFFD), so a needle that is not well-formed or holds U+FFFD is left to the sidecars.
 */
export class SearchText implements ScanSource {
  readonly #storage: SearchTextStorage;
  #table = new SearchTable();
  readonly #encoder = new RecordEncoder();
  /** Changes whenever records move (compaction), so a scan between two reads starts over. */
  #generation = 0;
  #activeReads = 0;
  /** Woken when the last read in progress ends (a compaction waiting to swap). */
  #readsEnded: (() => void) | null = null;
  #scratch: Buffer | null = null;
  #scratchInUse = false;
  /** Set once a write failed or order was broken: queries go to the sidecars until the next start. */
  #failure: string | null = null;
  /** Until the background load is done: what arrived and what was deleted meanwhile. */
  #loading: { done: Promise<void>; added: PendingRecord[]; removed: Set<number> } | null = null;
  #closed = false;
  #onClose: () => void = () => {};
  /** The compaction running in the background, if any. */
  #compaction: Promise<void> | null = null;

  private constructor(storage: SearchTextStorage) {
    this.#storage = storage;
  }

  /**
   * Starts loading the records and making them agree with `summaries` (ascending by sequence, taken
   * now) in the background, once `startAfter` resolves (or at close, to end at once); `ready` says
   * when that is done.
   */
  static open(
    storage: SearchTextStorage,
    summaries: readonly MessageSummary[],
    textOf: VisibleTextOf,
    startAfter: Promise<void> = Promise.resolve(),
  ): SearchText {
    const search = new SearchText(storage);
    const snapshot = [...summaries];
    const loading = { done: Promise.resolve(), added: [] as PendingRecord[], removed: new Set<number>() };
    search.#loading = loading;
    const closed = new Promise<void>((resolve) => {
      search.#onClose = resolve;
    });
    loading.done = Promise.race([startAfter, closed])
      .then(() => (search.#closed ? undefined : search.#load(snapshot, textOf)))
      .then(
        () => search.#catchUp(loading),
        (error: unknown) => {
          search.#loading = null;
          if (!search.#closed) search.#fail(`loading the search text: ${String(error)}`);
        },
      );
    return search;
  }

  /** Resolves once the records are loaded (or loading failed, and queries read sidecars). */
  get ready(): Promise<void> {
    return this.#loading?.done ?? Promise.resolve();
  }

  get table(): SearchTable {
    return this.#table;
  }

  get generation(): number {
    return this.#generation;
  }

  /** Bytes in the file, live and dead. */
  get storedBytes(): number {
    return this.#storage.size;
  }

  /** Whether a live record of `sequence` exists. */
  has(sequence: number): boolean {
    const slot = this.#table.find(sequence);
    return slot >= 0 && !this.#table.isDead(slot);
  }

  /**
   * The snippet recorded with `sequence`'s text, or null when only its sidecar can say: no live record
   * with a snippet (one written before snippets were kept here), the records are still loading, or
   * the file failed. A read that fails turns the search text off until the next start, as a write does.
   */
  snippet(sequence: number): string | null {
    if (this.#failure !== null || this.#loading !== null || this.#storage.failure !== null) return null;
    const table = this.#table;
    const slot = table.find(sequence);
    if (slot < 0 || table.isDead(slot)) return null;
    const snippetBytes = table.snippetBytes(slot);
    if (snippetBytes === NO_SNIPPET) return null;
    try {
      return snippetOfRecord(
        this.#storage.readSync(table.offset(slot), RECORD_HEADER_BYTES + snippetBytes),
        sequence,
      );
    } catch (error) {
      this.#fail(`reading the snippet of sequence ${sequence}: ${String(error)}`);
      return null;
    }
  }

  /**
   * A message became visible (in sequence order), with its snippet, which the caller may have made
   * already. Never throws: a failure only slows search down, and lists read snippets from sidecars.
   */
  add(sequence: number, id: string, visibleText: string, snippet = makeSnippet(visibleText)): void {
    if (this.#failure !== null) return;
    if (this.#loading !== null) {
      this.#loading.added.push({ sequence, id, snippet, text: visibleText.toLowerCase() });
      return;
    }
    if (sequence <= this.#table.lastSequence) {
      this.#fail(`message ${id} (sequence ${sequence}) became visible after ${this.#table.lastSequence}`);
      return;
    }
    try {
      this.#append(sequence, id, snippet, visibleText.toLowerCase(), this.#storage, this.#table);
    } catch (error) {
      this.#fail(`writing the search text of message ${id}: ${String(error)}`);
      return;
    }
    this.#compactIfWorthIt();
  }

  remove(sequence: number): void {
    if (this.#loading !== null) {
      this.#loading.removed.add(sequence);
      return;
    }
    const slot = this.#table.find(sequence);
    if (slot < 0) return;
    this.#table.markDead(slot);
    this.#compactIfWorthIt();
  }

  /**
   * A scan for one lowercased needle, or null when the sidecars must answer: the needle is one whose
   * bytes could match differently from its characters, or the search text is out of order.
   */
  scan(lowercasedNeedle: string): SearchScan | null {
    const { failure } = this.#storage;
    if (failure !== null && this.#failure === null) this.#fail(`writing the search text: ${String(failure)}`);
    if (this.#failure !== null || this.#loading !== null) return null;
    const bytes = Buffer.from(lowercasedNeedle, "utf8");
    if (lowercasedNeedle.includes("\uFFFD") || bytes.toString("utf8") !== lowercasedNeedle) return null;
    return new SearchScan(this, bytes);
  }

  /**
   * Reads [position, position + length) and hands the bytes to `use` synchronously; false when the
   * records moved since `generation` (the caller starts over). No compaction runs during a read.
   */
  async withBytes(
    generation: number,
    position: number,
    length: number,
    use: (bytes: Buffer) => void,
  ): Promise<boolean> {
    const ownScratch = !this.#scratchInUse;
    if (ownScratch) {
      this.#scratchInUse = true;
      this.#scratch ??= Buffer.allocUnsafeSlow(SCAN_CHUNK_BYTES);
    }
    this.#activeReads += 1;
    try {
      const bytes = await this.#storage.read(position, length, ownScratch ? this.#scratch! : Buffer.alloc(0));
      if (generation !== this.#generation) return false;
      use(bytes);
      return true;
    } finally {
      this.#activeReads -= 1;
      if (ownScratch) this.#scratchInUse = false;
      if (this.#activeReads === 0) this.#readsEnded?.();
      this.#compactIfWorthIt();
    }
  }

  /** Resolves once no load or compaction is running in the background. */
  async idle(): Promise<void> {
    await this.ready;
    await this.#compaction;
  }

  /** Stops a background load that is still running and closes the file. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#onClose();
    await this.ready;
    await this.#compaction;
    this.#storage.close();
  }

  async #load(summaries: readonly MessageSummary[], textOf: VisibleTextOf): Promise<void> {
    const missing = this.#merge(summaries, await this.#readRecords());
    if (missing.length > 0 && missing[0]!.sequence > this.#table.lastSequence) {
      await this.#appendMissing(missing, textOf);
    } else if (missing.length > 0) {
      await this.#rewrite(missing, textOf);
    }
  }

  /** What arrived and went while loading, in the order it happened to the store. */
  #catchUp(loading: { added: PendingRecord[]; removed: Set<number> }): void {
    this.#loading = null;
    if (this.#closed) return;
    for (const { sequence, id, snippet, text } of loading.added) {
      if (sequence <= this.#table.lastSequence) {
        this.#fail(`message ${id} (sequence ${sequence}) arrived after ${this.#table.lastSequence}`);
        return;
      }
      try {
        this.#append(sequence, id, snippet, text, this.#storage, this.#table);
      } catch (error) {
        this.#fail(`writing the search text of message ${id}: ${String(error)}`);
        return;
      }
    }
    for (const sequence of loading.removed) this.remove(sequence);
    this.#compactIfWorthIt();
  }

  /**
   * Marks dead the records of messages that are gone (or whose sequence another message now has), and
   * those without a snippet, and returns the summaries without a record.
   */
  #merge(summaries: readonly MessageSummary[], ids: readonly string[]): MessageSummary[] {
    const table = this.#table;
    const missing: MessageSummary[] = [];
    let slot = 0;
    for (const summary of summaries) {
      while (slot < table.count && table.sequence(slot) < summary.sequence) table.markDead(slot++);
      if (slot < table.count && table.sequence(slot) === summary.sequence) {
        // A record written before snippets were kept here is written again, with one.
        if (ids[slot] === summary.id && table.snippetBytes(slot) !== NO_SNIPPET) {
          slot += 1;
          continue;
        }
        table.markDead(slot++);
      }
      missing.push(summary);
    }
    while (slot < table.count) table.markDead(slot++);
    return missing;
  }

  /** Fills the table from the file, checking each record, and cuts a torn tail; returns each slot's id. */
  async #readRecords(): Promise<string[]> {
    const storage = this.#storage;
    const ids: string[] = [];
    const scratch = Buffer.allocUnsafe(LOAD_CHUNK_BYTES);
    let position = 0;
    // `bytes` holds the file from `base` on.
    let bytes: Buffer = Buffer.alloc(0);
    let base = 0;
    while (position < storage.size) {
      const at = position - base;
      const record = decodeRecord(bytes, at, base);
      if (record === "short") {
        const declared = declaredRecordBytes(bytes, at);
        const length = Math.min(storage.size - position, Math.max(LOAD_CHUNK_BYTES, declared));
        // The file ends inside this record.
        if (length <= bytes.length - at) break;
        if (this.#closed) throw new Error("closed while loading");
        bytes = await storage.read(position, length, scratch);
        base = position;
        continue;
      }
      if (record === null || record.sequence <= this.#table.lastSequence) break;
      const { snippetBytes, textBytes } = record;
      const textStart = at + RECORD_HEADER_BYTES + Math.max(0, snippetBytes);
      this.#table.push(
        record.sequence,
        position,
        snippetBytes,
        bytes.subarray(textStart, textStart + textBytes),
      );
      ids.push(record.id);
      position += recordBytes(snippetBytes, textBytes);
    }
    // Whatever follows the last intact record is a torn write: nothing may be appended after it.
    if (position < storage.size) storage.truncate(position);
    return ids;
  }

  async #appendMissing(missing: readonly MessageSummary[], textOf: VisibleTextOf): Promise<void> {
    for (let start = 0; start < missing.length; start += REBUILD_BATCH) {
      if (this.#closed) return;
      const batch = missing.slice(start, start + REBUILD_BATCH);
      const texts = await mapConcurrently(batch, REBUILD_CONCURRENCY, textOf);
      batch.forEach((summary, position) => {
        const text = texts[position];
        if (text == null) return;
        this.#append(
          summary.sequence,
          summary.id,
          makeSnippet(text),
          text.toLowerCase(),
          this.#storage,
          this.#table,
        );
      });
    }
  }

  /** Writes the live records and those of `missing` (ascending) to a new file and swaps it in. */
  async #rewrite(missing: readonly MessageSummary[], textOf: VisibleTextOf): Promise<void> {
    const old = this.#table;
    const table = new SearchTable();
    const writer = this.#storage.beginReplace();
    const out = new CountingWriter(writer);
    let slot = 0;
    try {
      for (let start = 0; start < missing.length; start += REBUILD_BATCH) {
        if (this.#closed) throw new Error("closed while rebuilding");
        const batch = missing.slice(start, start + REBUILD_BATCH);
        const texts = await mapConcurrently(batch, REBUILD_CONCURRENCY, textOf);
        batch.forEach((summary, position) => {
          const upTo = old.lowerBound(summary.sequence);
          copyLive(this.#storage, old, slot, upTo, out, table);
          slot = upTo;
          const text = texts[position];
          if (text != null) {
            this.#append(summary.sequence, summary.id, makeSnippet(text), text.toLowerCase(), out, table);
          }
        });
      }
      copyLive(this.#storage, old, slot, old.count, out, table);
      writer.commit();
    } catch (error) {
      writer.abort();
      throw error;
    }
    this.#table = table;
    this.#generation += 1;
  }

  #append(
    sequence: number,
    id: string,
    snippet: string,
    lowercased: string,
    out: Pick<SearchTextStorage, "size" | "append">,
    table: SearchTable,
  ): void {
    const offset = out.size;
    const { record, snippetBytes, text } = this.#encoder.encode(sequence, id, snippet, lowercased);
    out.append(record);
    table.push(sequence, offset, snippetBytes, text);
  }

  #worthCompacting(): boolean {
    const table = this.#table;
    return table.deadBytes >= COMPACT_MIN_DEAD_BYTES && table.deadBytes > table.liveBytes;
  }

  /** Starts a compaction in the background when dead records outweigh live ones (one at a time). */
  #compactIfWorthIt(): void {
    if (this.#failure !== null || this.#loading !== null || this.#compaction !== null) return;
    if (this.#closed || !this.#worthCompacting()) return;
    this.#compaction = this.#compact().finally(() => {
      this.#compaction = null;
    });
  }

  async #compact(): Promise<void> {
    const source = this.#table;
    const compaction = new SearchCompaction(this.#storage, source);
    try {
      await compaction.copy(() => this.#closed || this.#failure !== null);
      // The swap moves every record: not while a query is reading.
      while (this.#activeReads > 0 && !this.#closed) {
        await new Promise<void>((resolve) => {
          this.#readsEnded = resolve;
        });
        this.#readsEnded = null;
      }
      if (this.#closed || this.#failure !== null || this.#table !== source) {
        compaction.abort();
        return;
      }
      this.#table = compaction.finish();
      this.#generation += 1;
    } catch (error) {
      compaction.abort();
      if (!this.#closed) this.#fail(`compacting the search text: ${String(error)}`);
    }
  }

  #fail(reason: string): void {
    this.#failure = reason;
    console.error(`mailnest: text search reads sidecars until the next start, because of ${reason}`);
  }
}

/** A message that became visible while the records were loading. */
interface PendingRecord {
  sequence: number;
  id: string;
  snippet: string;
  /** Lowercased. */
  text: string;
}
