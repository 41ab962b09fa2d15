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

export function encodeRecord(sequence: number, id: string, lowercasedText: Buffer): Buffer {
  // One buffer, from Node's pool when small: a header of its own was a native allocation per message.
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + lowercasedText.length);
  const header = record.subarray(0, RECORD_HEADER_BYTES).fill(0);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt32BE(lowercasedText.length, 4);
  header.writeDoubleLE(sequence, 8);
  header.write(id, ID_OFFSET, ID_BYTES, "latin1");
  header.writeUInt32BE(crc32(lowercasedText, crc32(header.subarray(0, CRC_OFFSET))), CRC_OFFSET);
  lowercasedText.copy(record, RECORD_HEADER_BYTES);
  return record;
}

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
