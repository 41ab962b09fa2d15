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

export interface SegmentScan {
  positions: RecordPosition[];
  /** Where the last intact record ends: anything after it is a torn tail. */
  validLength: number;
  /** Damaged stretches skipped in the middle, as [offset, length]. */
  skipped: [number, number][];
}

export interface SegmentFileScan extends SegmentScan {
  /** The file's length when it was scanned. */
  length: number;
}

/**
 * Every intact record of a segment file, read through a window. Blocking reads: it runs while the
 * store opens, when nothing else is waiting for the event loop, and a thread-pool round trip per
 * window would cost more than the read.
 */
export function scanSegmentFile(path: string, windowBytes = SCAN_WINDOW_BYTES): SegmentFileScan {
  const fd = openSync(path, "r");
  try {
    const length = fstatSync(fd).size;
    const read: ReadAt = (buffer, offset, count, position) => readSync(fd, buffer, offset, count, position);
    return {
      ...walk(new FrameWindow(length, Buffer.allocUnsafe(windowFor(length, windowBytes)), 0, read)),
      length,
    };
  } finally {
    closeSync(fd);
  }
}

/** The same scan of a segment already in memory (tests, and tools that read one whole). */
export function scanSegment(bytes: Buffer): SegmentScan {
  return walk(new FrameWindow(bytes.length, bytes, bytes.length, () => 0));
}

function windowFor(length: number, windowBytes: number): number {
  return Math.max(FRAME_HEADER_BYTES, Math.min(windowBytes, length));
}

/**
 * The walk: record after record, and past a damaged one to the next intact frame. Segments are kept
 * for good, so a damaged record in the middle (a flipped bit, an edit by hand) must not cost the
 * records after it; only when no intact frame follows is the rest a torn tail (`validLength` ends
 * before it). The id is all a scan needs of a sidecar (`positionAt`).
 */
function walk(window: FrameWindow): SegmentScan {
  const positions: RecordPosition[] = [];
  const skipped: [number, number][] = [];
  let offset = 0;
  let validLength = 0;
  while (offset + FRAME_HEADER_BYTES <= window.length) {
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
  return { positions, validLength, skipped };
}

/** `readSync`'s shape: reads into `buffer` at `offset` up to `count` bytes from `position`; 0 at the end. */
type ReadAt = (buffer: Buffer, offset: number, count: number, position: number) => number;

/**
 * A stretch of the segment in one buffer, moved forward (and grown for a long record) as the scan
 * needs. A segment in memory is one window holding all of it, which never reads.
 */
class FrameWindow {
  readonly length: number;
  readonly #read: ReadAt;
  #buffer: Buffer;
  /** Segment offset of `#buffer[0]`. */
  #start = 0;
  /** Segment offset where the bytes read into the buffer end. */
  #end: number;

  constructor(length: number, buffer: Buffer, held: number, read: ReadAt) {
    this.length = length;
    this.#buffer = buffer;
    this.#end = held;
    this.#read = read;
  }

  /** The intact record whose frame starts at `offset` (a file offset), or null. */
  recordAt(offset: number): RecordPosition | null {
    if (!this.#hold(offset, offset + FRAME_HEADER_BYTES)) return null;
    const claimed = claimedFrameLength(this.#held(), offset - this.#start);
    if (claimed === null || offset + claimed > this.length || !this.#hold(offset, offset + claimed))
      return null;
    const position = positionAt(this.#held(), offset - this.#start);
    return position === null ? null : { ...position, offset };
  }

  /** The next offset from `from` on where an intact record starts, or null when none does. */
  nextIntactFrame(from: number): number | null {
    let searchFrom = from;
    while (searchFrom + FRAME_MAGIC.length <= this.length) {
      this.#hold(searchFrom, Math.min(this.length, searchFrom + this.#buffer.length));
      const found = this.#held().indexOf(FRAME_MAGIC, searchFrom - this.#start);
      if (found === -1) {
        // The magic may straddle the window's end: look again from its last three bytes.
        if (this.#end >= this.length) return null;
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
    if (to > this.length) return false;
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
    const until = Math.min(this.length, this.#start + this.#buffer.length);
    while (this.#end < until) {
      const read = this.#read(this.#buffer, this.#end - this.#start, until - this.#end, this.#end);
      if (read === 0) return false; // shorter than fstat said: truncated meanwhile
      this.#end += read;
    }
    return to <= this.#end;
  }
}
