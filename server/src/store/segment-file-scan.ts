import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import {
  claimedFrameLength,
  FRAME_HEADER_BYTES,
  FRAME_MAGIC,
  positionAt,
  type RecordPosition,
} from "./wal-record.js";

/**
 * How much of a segment a scan holds at once. Reading a whole segment (64 MiB) into a fresh buffer
 * made a start after a crash touch 64 MiB of new memory, which cost more than the read itself on a
 * virtual machine (about 3 ms a MiB in page faults here, docs/performance.md); a window this size is
 * touched once and reused. A record longer than the window (a large message) grows it to that record.
 */
export const SCAN_WINDOW_BYTES = 4 * 1024 * 1024;

export interface SegmentFileScan {
  positions: RecordPosition[];
  /** Where the last intact record ends: anything after it is a torn tail. */
  validLength: number;
  /** Damaged stretches skipped in the middle, as [offset, length]. */
  skipped: [number, number][];
  /** The file's length when it was scanned. */
  length: number;
}

/**
 * `scanSegment`'s walk (wal-record.ts) over a segment file read through a window: the same records,
 * torn tail and skipped stretches, without holding the whole file. Blocking reads: it runs while
 * the store opens, when nothing else is waiting for the event loop, and a thread-pool round trip per
 * window would cost more than the read.
 */
export function scanSegmentFile(path: string, windowBytes = SCAN_WINDOW_BYTES): SegmentFileScan {
  const fd = openSync(path, "r");
  try {
    const length = fstatSync(fd).size;
    const window = new FileWindow(fd, length, windowBytes);
    const positions: RecordPosition[] = [];
    const skipped: [number, number][] = [];
    let offset = 0;
    let validLength = 0;
    while (offset + FRAME_HEADER_BYTES <= length) {
      const position = window.recordAt(offset);
      if (position !== null) {
        positions.push(position);
        offset += position.frameLength;
        validLength = offset;
        continue;
      }
      const next = window.nextIntactFrame(offset + 1);
      if (next === null) break;
      skipped.push([offset, next - offset]);
      offset = next;
    }
    return { positions, validLength, skipped, length };
  } finally {
    closeSync(fd);
  }
}

/** A stretch of the file in one buffer, moved forward (and grown for a long record) as the scan needs. */
class FileWindow {
  readonly #fd: number;
  readonly #length: number;
  #buffer: Buffer;
  /** File offset of `#buffer[0]`. */
  #start = 0;
  /** File offset where the bytes read into the buffer end. */
  #end = 0;

  constructor(fd: number, length: number, size: number) {
    this.#fd = fd;
    this.#length = length;
    this.#buffer = Buffer.allocUnsafe(Math.max(FRAME_HEADER_BYTES, Math.min(size, length)));
  }

  /** The intact record whose frame starts at `offset` (a file offset), or null. */
  recordAt(offset: number): RecordPosition | null {
    if (!this.#hold(offset, offset + FRAME_HEADER_BYTES)) return null;
    const claimed = claimedFrameLength(this.#held(), offset - this.#start);
    if (claimed === null || offset + claimed > this.#length || !this.#hold(offset, offset + claimed))
      return null;
    const position = positionAt(this.#held(), offset - this.#start);
    return position === null ? null : { ...position, offset };
  }

  /** The next offset from `from` on where an intact record starts, or null when none does. */
  nextIntactFrame(from: number): number | null {
    let searchFrom = from;
    while (searchFrom + FRAME_MAGIC.length <= this.#length) {
      this.#hold(searchFrom, Math.min(this.#length, searchFrom + this.#buffer.length));
      const found = this.#held().indexOf(FRAME_MAGIC, searchFrom - this.#start);
      if (found === -1) {
        // The magic may straddle the window's end: look again from its last three bytes.
        if (this.#end >= this.#length) return null;
        searchFrom = Math.max(searchFrom + 1, this.#end - (FRAME_MAGIC.length - 1));
        continue;
      }
      const at = this.#start + found;
      if (this.recordAt(at) !== null) return at;
      searchFrom = at + 1;
    }
    return null;
  }

  #held(): Buffer {
    return this.#buffer.subarray(0, this.#end - this.#start);
  }

  /** Makes the file's bytes [from, to) sit in the buffer; false when the file ends before `to`. */
  #hold(from: number, to: number): boolean {
    if (to > this.#length) return false;
    if (from >= this.#start && to <= this.#end) return true;
    if (to - from > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(to - from);
      this.#buffer = grown;
      this.#start = from;
      this.#end = from;
    } else if (from >= this.#start && from < this.#end) {
      // Keep what is already read from `from` on.
      this.#buffer.copy(this.#buffer, 0, from - this.#start, this.#end - this.#start);
      this.#start = from;
    } else {
      this.#start = from;
      this.#end = from;
    }
    const until = Math.min(this.#length, this.#start + this.#buffer.length);
    while (this.#end < until) {
      const read = readSync(this.#fd, this.#buffer, this.#end - this.#start, until - this.#end, this.#end);
      if (read === 0) return false; // shorter than fstat said: truncated meanwhile
      this.#end += read;
    }
    return to <= this.#end;
  }
}
