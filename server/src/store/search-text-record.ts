import { crc32 } from "node:zlib";
import { MESSAGE_ID_PATTERN } from "./model.js";

/**
 * One message's search text in `search/text.bin`: a fixed header, then the UTF-8 bytes of its
 * `visibleText.toLowerCase()`.
 *
 * u32 magic "MNST" | u32 text length | f64 sequence | 26 bytes id (ASCII) | 2 bytes zero |
 * u32 crc32(header bytes 0–43, then the text) | text
 *
 * The checksum catches what a crash leaves behind (the file is never fsync'd: it is derived data);
 * the id lets startup tell a record from one of a message that was deleted and whose sequence went
 * to another (reconciliation renumbers).
 */
export const RECORD_HEADER_BYTES = 48;
const MAGIC = 0x4d4e5354;
const ID_OFFSET = 16;
const ID_BYTES = 26;
const CRC_OFFSET = 44;

export interface SearchRecord {
  sequence: number;
  id: string;
  /** Where the record (its header) starts in the file. */
  offset: number;
  /** Bytes of lowercased text after the header. */
  textBytes: number;
}

/**
 * Encodes records into one buffer it keeps, so a message's search text costs no allocation of its
 * own: it was two native buffers per message (the lowercased text, then the record), each freed
 * only when the garbage collector reached it, and native buffers that wait for a full collection are
 * what grew glibc's heap after a fill (the main cause was V8's pretenuring, see `v8-tuning.ts`;
 * docs/performance.md, "V8's pretenuring"). The record and its text are views into the kept buffer:
 * valid until the next `encode`, which is why every storage's `append` copies.
 */
export class RecordEncoder {
  #scratch: Buffer = Buffer.allocUnsafeSlow(0);

  encode(sequence: number, id: string, lowercasedText: string): { record: Buffer; text: Buffer } {
    const textBytes = Buffer.byteLength(lowercasedText, "utf8");
    const length = RECORD_HEADER_BYTES + textBytes;
    // Kept only up to a size most messages fit; a larger text gets a buffer of its own.
    const target = length <= KEPT_SCRATCH_BYTES ? this.#reserve(length) : Buffer.allocUnsafeSlow(length);
    const record = target.subarray(0, length);
    const text = record.subarray(RECORD_HEADER_BYTES);
    text.write(lowercasedText, 0, "utf8");
    record.fill(0, 0, RECORD_HEADER_BYTES);
    record.writeUInt32BE(MAGIC, 0);
    record.writeUInt32BE(textBytes, 4);
    record.writeDoubleLE(sequence, 8);
    record.write(id, ID_OFFSET, ID_BYTES, "latin1");
    record.writeUInt32BE(crc32(text, crc32(record.subarray(0, CRC_OFFSET))), CRC_OFFSET);
    return { record, text };
  }

  #reserve(length: number): Buffer {
    if (this.#scratch.length < length) {
      this.#scratch = Buffer.allocUnsafeSlow(
        Math.min(KEPT_SCRATCH_BYTES, Math.max(length, 2 * this.#scratch.length, 4096)),
      );
    }
    return this.#scratch;
  }
}

const KEPT_SCRATCH_BYTES = 64 * 1024;

/** The bytes a record takes in the file. */
export function recordBytes(textBytes: number): number {
  return RECORD_HEADER_BYTES + textBytes;
}

/**
 * The record at `at` in `bytes` (whose first byte is at file offset `base`). "short" when the
 * buffer ends before the record does (read more); null when the bytes there are not an intact record
 * (a torn tail, or garbage the page cache never wrote back before a power cut).
 */
export function decodeRecord(bytes: Buffer, at: number, base: number): SearchRecord | "short" | null {
  if (bytes.length - at < RECORD_HEADER_BYTES) return "short";
  if (bytes.readUInt32BE(at) !== MAGIC) return null;
  const textBytes = bytes.readUInt32BE(at + 4);
  if (bytes.length - at < RECORD_HEADER_BYTES + textBytes) return "short";
  const sequence = bytes.readDoubleLE(at + 8);
  const id = bytes.toString("latin1", at + ID_OFFSET, at + ID_OFFSET + ID_BYTES);
  if (!Number.isSafeInteger(sequence) || !MESSAGE_ID_PATTERN.test(id)) return null;
  const text = bytes.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + textBytes);
  const expected = crc32(text, crc32(bytes.subarray(at, at + CRC_OFFSET)));
  if (bytes.readUInt32BE(at + CRC_OFFSET) !== expected) return null;
  return { sequence, id, offset: base + at, textBytes };
}
