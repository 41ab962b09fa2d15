import { crc32 } from "node:zlib";
import { MESSAGE_ID_PATTERN } from "./model.js";

/**
 * One message's record in `search/text.bin`: a fixed header, the UTF-8 bytes of its snippet (what
 * lists show; the in-memory index does not keep it), then those of its `visibleText.toLowerCase()`.
 *
 * u32 magic "MNS2" | u32 text length | f64 sequence | 26 bytes id (ASCII) | u16 snippet length |
 * u32 crc32(header bytes 0–43, then snippet and text) | snippet | text
 *
 * Records written before snippets were kept here (magic "MNST") have the same header with a zero
 * where the snippet length is, and no snippet: they are still read, and a list takes those
 * messages' snippets from their sidecars.
 *
 * The checksum catches what a crash leaves behind (the file is never fsync'd: it is derived data);
 * the id lets startup tell a record from one of a message that was deleted and whose sequence went
 * to another (reconciliation renumbers).
 */
export const RECORD_HEADER_BYTES = 48;
const MAGIC = 0x4d4e5332;
/** Records without a snippet ("MNST"). */
const MAGIC_WITHOUT_SNIPPET = 0x4d4e5354;
const ID_OFFSET = 16;
const ID_BYTES = 26;
const SNIPPET_LENGTH_OFFSET = 42;
const CRC_OFFSET = 44;
/** A record's snippet length when it has none (a record from before snippets were kept here). */
export const NO_SNIPPET = -1;

export interface SearchRecord {
  sequence: number;
  id: string;
  /** Where the record (its header) starts in the file. */
  offset: number;
  /** Bytes of the snippet after the header, or `NO_SNIPPET`. */
  snippetBytes: number;
  /** Bytes of lowercased text after the snippet. */
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

  /** `snippet` is at most `MAX_SNIPPET_BYTES` in UTF-8 (a snippet is 200 characters). */
  encode(
    sequence: number,
    id: string,
    snippet: string,
    lowercasedText: string,
  ): { record: Buffer; snippetBytes: number; text: Buffer } {
    const snippetBytes = Buffer.byteLength(snippet, "utf8");
    if (snippetBytes > MAX_SNIPPET_BYTES) {
      throw new RangeError(`A snippet of ${snippetBytes} bytes is longer than a record holds`);
    }
    const textBytes = Buffer.byteLength(lowercasedText, "utf8");
    const length = RECORD_HEADER_BYTES + snippetBytes + textBytes;
    // Kept only up to a size most messages fit; a larger text gets a buffer of its own.
    const target = length <= KEPT_SCRATCH_BYTES ? this.#reserve(length) : Buffer.allocUnsafeSlow(length);
    const record = target.subarray(0, length);
    record.write(snippet, RECORD_HEADER_BYTES, "utf8");
    const text = record.subarray(RECORD_HEADER_BYTES + snippetBytes);
    text.write(lowercasedText, 0, "utf8");
    record.fill(0, 0, RECORD_HEADER_BYTES);
    record.writeUInt32BE(MAGIC, 0);
    record.writeUInt32BE(textBytes, 4);
    record.writeDoubleLE(sequence, 8);
    record.write(id, ID_OFFSET, ID_BYTES, "latin1");
    record.writeUInt16BE(snippetBytes, SNIPPET_LENGTH_OFFSET);
    const body = record.subarray(RECORD_HEADER_BYTES);
    record.writeUInt32BE(crc32(body, crc32(record.subarray(0, CRC_OFFSET))), CRC_OFFSET);
    return { record, snippetBytes, text };
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

/** Far above what a 200-character snippet takes in UTF-8 (600 bytes), within the header's u16. */
export const MAX_SNIPPET_BYTES = 4096;

/** The bytes a record takes in the file. */
export function recordBytes(snippetBytes: number, textBytes: number): number {
  return RECORD_HEADER_BYTES + Math.max(0, snippetBytes) + textBytes;
}

/** The length of the record whose header starts at `at`, or 0 when `bytes` ends inside its header. */
export function declaredRecordBytes(bytes: Buffer, at: number): number {
  if (bytes.length - at < RECORD_HEADER_BYTES) return 0;
  const snippetBytes = bytes.readUInt32BE(at) === MAGIC ? bytes.readUInt16BE(at + SNIPPET_LENGTH_OFFSET) : 0;
  return recordBytes(snippetBytes, bytes.readUInt32BE(at + 4));
}

/**
 * Where a record's snippet lies, from its header alone (`bytes` holds at least the header and the
 * snippet): null when the header is not the one of a record of `sequence` with a snippet. The
 * snippet is not checked against the checksum, which covers the whole text: the file is only read
 * where the table says a record checked at load, or appended since, begins.
 */
export function snippetOfRecord(bytes: Buffer, sequence: number): string | null {
  if (bytes.length < RECORD_HEADER_BYTES || bytes.readUInt32BE(0) !== MAGIC) return null;
  if (bytes.readDoubleLE(8) !== sequence) return null;
  const snippetBytes = bytes.readUInt16BE(SNIPPET_LENGTH_OFFSET);
  if (bytes.length < RECORD_HEADER_BYTES + snippetBytes) return null;
  return bytes.toString("utf8", RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + snippetBytes);
}

/**
 * The record at `at` in `bytes` (whose first byte is at file offset `base`). "short" when the
 * buffer ends before the record does (read more); null when the bytes there are not an intact record
 * (a torn tail, or garbage the page cache never wrote back before a power cut).
 */
export function decodeRecord(bytes: Buffer, at: number, base: number): SearchRecord | "short" | null {
  if (bytes.length - at < RECORD_HEADER_BYTES) return "short";
  const magic = bytes.readUInt32BE(at);
  if (magic !== MAGIC && magic !== MAGIC_WITHOUT_SNIPPET) return null;
  const stored = bytes.readUInt16BE(at + SNIPPET_LENGTH_OFFSET);
  if (magic === MAGIC_WITHOUT_SNIPPET && stored !== 0) return null;
  const snippetBytes = magic === MAGIC ? stored : NO_SNIPPET;
  const textBytes = bytes.readUInt32BE(at + 4);
  const length = recordBytes(snippetBytes, textBytes);
  if (bytes.length - at < length) return "short";
  const sequence = bytes.readDoubleLE(at + 8);
  const id = bytes.toString("latin1", at + ID_OFFSET, at + ID_OFFSET + ID_BYTES);
  if (!Number.isSafeInteger(sequence) || !MESSAGE_ID_PATTERN.test(id)) return null;
  const body = bytes.subarray(at + RECORD_HEADER_BYTES, at + length);
  const expected = crc32(body, crc32(bytes.subarray(at, at + CRC_OFFSET)));
  if (bytes.readUInt32BE(at + CRC_OFFSET) !== expected) return null;
  return { sequence, id, offset: base + at, snippetBytes, textBytes };
}
