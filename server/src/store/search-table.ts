import { grownColumn } from "./grown-column.js";
import { NO_SNIPPET, RECORD_HEADER_BYTES, recordBytes } from "./search-text-record.js";
import { TrigramBlocks } from "./trigram-blocks.js";

/**
 * Where each message's search text and snippet lie in the search-text file, in typed arrays (23
 * bytes a message, no object per message: the store keeps its heap small at 50,000 messages). Slots are in
 * file order, which is ascending sequence order, so one binary search answers both "which record
 * holds this sequence" and "which record holds this byte". A deleted message's slot is marked dead,
 * not removed, until the next compaction rewrites the file without it. Trigram filters over blocks
 * of slots (`trigram-blocks.ts`) let a query skip records that cannot hold its needle.
 */
export class SearchTable {
  #sequences = new Float64Array(1024);
  #offsets = new Float64Array(1024);
  #textBytes = new Uint32Array(1024);
  /** The snippet's bytes, or `NO_SNIPPET_SLOT` for a record without one. */
  #snippetBytes = new Uint16Array(1024);
  #dead = new Uint8Array(1024);
  #count = 0;
  #liveBytes = 0;
  #deadBytes = 0;
  readonly blocks = new TrigramBlocks();

  get count(): number {
    return this.#count;
  }

  /** Bytes of the file held by records of live messages. */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Bytes of the file held by records of deleted messages. */
  get deadBytes(): number {
    return this.#deadBytes;
  }

  get lastSequence(): number {
    return this.#count === 0 ? -1 : this.#sequences[this.#count - 1]!;
  }

  /**
   * Appends a slot for the record at `offset` holding a snippet of `snippetBytes` (or `NO_SNIPPET`)
   * and `text`; the caller keeps sequences ascending.
   */
  push(sequence: number, offset: number, snippetBytes: number, text: Buffer): void {
    if (this.#count === this.#sequences.length) this.#grow();
    const slot = this.#count++;
    this.#sequences[slot] = sequence;
    this.#offsets[slot] = offset;
    this.#textBytes[slot] = text.length;
    this.#snippetBytes[slot] = snippetBytes === NO_SNIPPET ? NO_SNIPPET_SLOT : snippetBytes;
    this.#dead[slot] = 0;
    const bytes = recordBytes(snippetBytes, text.length);
    this.#liveBytes += bytes;
    this.blocks.add(slot, text, bytes);
  }

  sequence(slot: number): number {
    return this.#sequences[slot]!;
  }

  /** Where the record starts (its header). */
  offset(slot: number): number {
    return this.#offsets[slot]!;
  }

  /** Bytes of the record's snippet, or `NO_SNIPPET`. */
  snippetBytes(slot: number): number {
    const bytes = this.#snippetBytes[slot]!;
    return bytes === NO_SNIPPET_SLOT ? NO_SNIPPET : bytes;
  }

  textStart(slot: number): number {
    return this.#offsets[slot]! + RECORD_HEADER_BYTES + Math.max(0, this.snippetBytes(slot));
  }

  textEnd(slot: number): number {
    return this.textStart(slot) + this.#textBytes[slot]!;
  }

  textBytes(slot: number): number {
    return this.#textBytes[slot]!;
  }

  isDead(slot: number): boolean {
    return this.#dead[slot] === 1;
  }

  markDead(slot: number): void {
    if (this.#dead[slot] === 1) return;
    this.#dead[slot] = 1;
    const bytes = recordBytes(this.snippetBytes(slot), this.#textBytes[slot]!);
    this.#liveBytes -= bytes;
    this.#deadBytes += bytes;
  }

  /** The slot of a live or dead record of `sequence`, or -1. */
  find(sequence: number): number {
    const slot = this.lowerBound(sequence);
    return slot < this.#count && this.#sequences[slot] === sequence ? slot : -1;
  }

  /** The first slot whose sequence is >= `sequence` (`count` when none is). */
  lowerBound(sequence: number): number {
    let low = 0;
    let high = this.#count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#sequences[middle]! < sequence) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The last slot in [from, to) whose record starts at or before `position`. */
  slotAt(position: number, from: number, to: number): number {
    let low = from;
    let high = to;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#offsets[middle]! <= position) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }

  #grow(): void {
    const capacity = this.#sequences.length * 2;
    this.#sequences = grownColumn(this.#sequences, new Float64Array(capacity));
    this.#offsets = grownColumn(this.#offsets, new Float64Array(capacity));
    this.#textBytes = grownColumn(this.#textBytes, new Uint32Array(capacity));
    this.#snippetBytes = grownColumn(this.#snippetBytes, new Uint16Array(capacity));
    this.#dead = grownColumn(this.#dead, new Uint8Array(capacity));
  }
}

/** How the u16 column marks a record without a snippet (a snippet is at most `MAX_SNIPPET_BYTES`). */
const NO_SNIPPET_SLOT = 0xffff;
