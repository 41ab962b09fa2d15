/**
 * A small Bloom-style filter per block of consecutive search-text records: which byte trigrams occur
 * in their texts (hashed into 32 Ki bits). A needle whose trigrams are not all present cannot occur
 * in the block, so a query skips it without reading it; a needle that matches nothing (the slow case
 * of a linear scan) usually reads nothing at all. False positives only cost a read; there are no
 * false negatives, because every trigram of every text is added. 4 KiB per 256 KiB of text (1.6 %).
 */
const BLOCK_BYTES = 256 * 1024;
const BITS_LOG2 = 15;
const WORDS = (1 << BITS_LOG2) / 32;

export class TrigramBlocks {
  #bits = new Uint32Array(WORDS * 16);
  /** The first slot of each block. */
  #starts = new Uint32Array(16);
  #count = 0;
  /** Record bytes in the last (open) block. */
  #openBytes = 0;

  get count(): number {
    return this.#count;
  }

  /** Adds the record in `slot` (the next one) with its lowercased text. */
  add(slot: number, text: Buffer, recordBytes: number): void {
    if (this.#count === 0 || (this.#openBytes > 0 && this.#openBytes + recordBytes > BLOCK_BYTES)) {
      this.#open(slot);
    }
    this.#openBytes += recordBytes;
    const bits = this.#bits;
    const base = (this.#count - 1) * WORDS;
    if (text.length < 3) return;
    let first = text[0]!;
    let second = text[1]!;
    for (let i = 2; i < text.length; i++) {
      const third = text[i]!;
      const hash = trigramHash(first, second, third);
      bits[base + (hash >>> 5)]! |= 1 << (hash & 31);
      first = second;
      second = third;
    }
  }

  /** The block holding `slot`. */
  blockOf(slot: number): number {
    let low = 0;
    let high = this.#count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#starts[middle]! <= slot) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }

  /** The first slot of `block`. */
  start(block: number): number {
    return this.#starts[block]!;
  }

  /** Whether `block` may hold every trigram in `hashes` (from `needleTrigrams`). */
  mayContain(block: number, hashes: Uint32Array): boolean {
    const base = block * WORDS;
    for (const hash of hashes) {
      if ((this.#bits[base + (hash >>> 5)]! & (1 << (hash & 31))) === 0) return false;
    }
    return true;
  }

  #open(slot: number): void {
    if (this.#count === this.#starts.length) {
      const starts = new Uint32Array(this.#count * 2);
      starts.set(this.#starts);
      this.#starts = starts;
      const bits = new Uint32Array(this.#count * 2 * WORDS);
      bits.set(this.#bits);
      this.#bits = bits;
    }
    this.#starts[this.#count] = slot;
    this.#count += 1;
    this.#openBytes = 0;
  }
}

/** The trigram hashes of a needle's bytes; empty (no filtering) for a needle under 3 bytes. */
export function needleTrigrams(needle: Buffer): Uint32Array {
  const hashes = new Uint32Array(Math.max(0, needle.length - 2));
  for (let i = 2; i < needle.length; i++)
    hashes[i - 2] = trigramHash(needle[i - 2]!, needle[i - 1]!, needle[i]!);
  return hashes;
}

function trigramHash(first: number, second: number, third: number): number {
  return Math.imul((first << 16) | (second << 8) | third, 0x9e3779b1) >>> (32 - BITS_LOG2);
}
