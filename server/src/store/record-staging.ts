/** The first buffer a staging area takes; most group commits' records fit in it. */
const INITIAL_BYTES = 64 * 1024;
/** Kept between batches at most this large; a buffer grows (doubling) no further. */
const MAX_BUFFER_BYTES = 1024 * 1024;
/** A record this large gets a buffer of its own, dropped once written, instead of a share of one. */
const OWN_BUFFER_BYTES = MAX_BUFFER_BYTES / 4;

/**
 * Where the segments' records are encoded (framing and sidecar JSON; the raw bytes are not copied)
 * until their group commit has written them: a few buffers reused from batch to batch, instead of
 * a native buffer per message. Each message's sidecar (about 6 KB for a 2 KB message) was a buffer
 * of its own, above Node's pool size, freed only when the garbage collector came to it: tens of
 * thousands of them per burst, freed in any order among small allocations that live on, left
 * glibc's main heap fragmented (docs/performance.md, "glibc's heap after a fill").
 *
 * A region handed out by `reserve` stays valid until `reset`, which the owner calls once every
 * record reserved since the last reset is written (or refused).
 */
export class RecordStaging {
  /** Buffers handed out from since the last reset, the one being filled last. */
  #buffers: Buffer[] = [];
  #used = 0;

  reserve(size: number): Buffer {
    if (size >= OWN_BUFFER_BYTES) return Buffer.allocUnsafeSlow(size);
    let current = this.#buffers.at(-1);
    if (current === undefined || this.#used + size > current.length) {
      const grown = current === undefined ? INITIAL_BYTES : Math.min(MAX_BUFFER_BYTES, 2 * current.length);
      current = Buffer.allocUnsafeSlow(Math.max(size, grown));
      this.#buffers.push(current);
      this.#used = 0;
    }
    const region = current.subarray(this.#used, this.#used + size);
    this.#used += size;
    return region;
  }

  /** Every region handed out is written: the largest buffer is kept for the next batch, the others dropped. */
  reset(): void {
    const last = this.#buffers.at(-1);
    this.#buffers = last === undefined ? [] : [last];
    this.#used = 0;
  }
}
