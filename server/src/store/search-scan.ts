import type { SearchTable } from "./search-table.js";
import { needleTrigrams } from "./trigram-blocks.js";

/** What a query reads at once: big enough for few thread-pool trips, small enough to stop early. */
export const SCAN_CHUNK_BYTES = 2 * 1024 * 1024;

/** What a scan needs of the search text (`search-text.ts`). */
export interface ScanSource {
  readonly table: SearchTable;
  /** Changes whenever records move (compaction). */
  readonly generation: number;
  /** Whether a live record of `sequence` exists. */
  has(sequence: number): boolean;
  /** Reads a byte range and hands it to `use` synchronously; false when records moved since `generation`. */
  withBytes(
    generation: number,
    position: number,
    length: number,
    use: (bytes: Buffer) => void,
  ): Promise<boolean>;
}

/**
 * One `text` query's walk over the search text, newest records first, a chunk at a time, in step
 * with the list's walk over summaries: the list asks about a sequence, and the scan reads further
 * back only when that sequence is not covered yet, so a page that fills early stops the reading.
 * Its state is kept by sequence, not by position, so a compaction between two chunks only means the
 * next chunk is found again in the new file.
 */
export class SearchScan {
  readonly #source: ScanSource;
  readonly #needle: Buffer;
  readonly #trigrams: Uint32Array;
  /** The newest sequence there was when the scan began: newer ones are not covered. */
  readonly #top: number;
  /** Every record with a sequence >= this has been searched. */
  #below: number;
  readonly #hits = new Set<number>();

  constructor(source: ScanSource, needle: Buffer) {
    this.#source = source;
    this.#needle = needle;
    this.#trigrams = needleTrigrams(needle);
    this.#top = source.table.lastSequence;
    this.#below = this.#top + 1;
  }

  /** Whether `verdict` can answer for `sequence` now. */
  covers(sequence: number): boolean {
    return sequence >= this.#below || sequence > this.#top;
  }

  /**
   * For a covered sequence: whether its text holds the needle, or null when it has no record here
   * (the caller asks its sidecar).
   */
  verdict(sequence: number): boolean | null {
    if (this.#hits.has(sequence)) return true;
    return sequence <= this.#top && this.#source.has(sequence) ? false : null;
  }

  /** Searches the next chunk of older records, passing over blocks that cannot hold the needle. */
  async extend(): Promise<void> {
    for (;;) {
      const table = this.#source.table;
      const { blocks } = table;
      let high = table.lowerBound(this.#below);
      let block = high === 0 ? -1 : blocks.blockOf(high - 1);
      while (block >= 0 && !blocks.mayContain(block, this.#trigrams)) {
        high = blocks.start(block);
        block -= 1;
      }
      if (high === 0) {
        this.#below = Number.NEGATIVE_INFINITY;
        return;
      }
      const end = table.textEnd(high - 1);
      let low = high - 1;
      while (low > 0 && end - table.offset(low - 1) <= SCAN_CHUNK_BYTES) {
        if (low - 1 < blocks.start(block)) {
          // Into the previous block only if it may hold the needle too; else the next call skips it.
          if (!blocks.mayContain(block - 1, this.#trigrams)) break;
          block -= 1;
        }
        low -= 1;
      }
      const start = table.offset(low);
      const searched = await this.#source.withBytes(this.#source.generation, start, end - start, (bytes) =>
        this.#search(table, bytes, start, low, high),
      );
      if (searched) {
        this.#below = table.sequence(low);
        return;
      }
    }
  }

  /** Records every live record of slots [low, high) whose text holds the needle. */
  #search(table: SearchTable, bytes: Buffer, base: number, low: number, high: number): void {
    const needle = this.#needle;
    let from = 0;
    for (;;) {
      const at = bytes.indexOf(needle, from);
      if (at < 0) return;
      const position = base + at;
      const slot = table.slotAt(position, low, high);
      // A match may also run across a header or from one text into the next: not a match.
      if (position >= table.textStart(slot) && position + needle.length <= table.textEnd(slot)) {
        if (!table.isDead(slot)) this.#hits.add(table.sequence(slot));
        from = table.textEnd(slot) - base;
      } else {
        from = at + 1;
      }
    }
  }
}
