import { crc32 } from "node:zlib";
import { parseSidecar, type Sidecar } from "./sidecar.js";

/**
 * One write-ahead-log record, framed so a torn tail is recognised:
 *
 * ```
 * u32 magic "MNWL" | u32 payload length | u32 crc32(payload) | payload
 * payload = u8 kind | u32 header length | header (JSON) | raw bytes (messages only)
 * ```
 *
 * A message record's header is its whole sidecar (id, sequence, envelope with receivedAt, inboxes,
 * size, sha256, parsed view), so replay can restore both files without re-parsing. A tombstone's
 * header is `{ "id": … }`: the message was deleted, replay must not bring it back.
 */
export type WalRecord =
  | {
      kind: "message";
      sidecar: Sidecar;
      /** The sidecar exactly as logged: replay compares a sidecar on disk with it byte for byte. */
      sidecarJson: Buffer;
      raw: Buffer;
    }
  | { kind: "tombstone"; id: string };

const MAGIC = 0x4d4e574c;
/** Magic, payload length, crc32: the bytes before every payload. */
export const FRAME_HEADER_BYTES = 12;
/** The magic as bytes, what a scan past a damaged stretch looks for. */
export const FRAME_MAGIC: Buffer = Buffer.from([0x4d, 0x4e, 0x57, 0x4c]);
const KIND_MESSAGE = 1;
const KIND_TOMBSTONE = 2;

/** The frame as buffers for `writev`: the framing and header in one, then the raw bytes (not copied). */
export function encodeMessageRecord(sidecarJson: string, raw: Buffer): Buffer[] {
  return encodeMessageRecordInto(allocate, sidecarJson, raw).chunks;
}

/**
 * The same record, its framing and header encoded into a region `reserve` hands out (one chunk, then
 * the raw bytes, which are not copied). `headerLength` is the sidecar's length in bytes.
 */
export function encodeMessageRecordInto(
  reserve: (size: number) => Buffer,
  sidecarJson: string,
  raw: Buffer,
): { chunks: Buffer[]; headerLength: number } {
  return encodeFrameInto(reserve, KIND_MESSAGE, sidecarJson, raw);
}

export function encodeTombstone(id: string): Buffer[] {
  return encodeFrameInto(allocate, KIND_TOMBSTONE, JSON.stringify({ id }), NO_BYTES).chunks;
}

/** Every record is framed here, whichever buffer it is written into. */
function encodeFrameInto(
  reserve: (size: number) => Buffer,
  kind: number,
  headerJson: string,
  raw: Buffer,
): { chunks: Buffer[]; headerLength: number } {
  const headerLength = Buffer.byteLength(headerJson, "utf8");
  const head = reserve(RECORD_HEADER_OFFSET + headerLength);
  head.writeUInt8(kind, FRAME_HEADER_BYTES);
  head.writeUInt32BE(headerLength, FRAME_HEADER_BYTES + 1);
  head.write(headerJson, RECORD_HEADER_OFFSET, headerLength, "utf8");
  head.writeUInt32BE(MAGIC, 0);
  head.writeUInt32BE(5 + headerLength + raw.length, 4);
  head.writeUInt32BE(crc32(raw, crc32(head.subarray(FRAME_HEADER_BYTES))), 8);
  return { chunks: raw.length === 0 ? [head] : [head, raw], headerLength };
}

const allocate = (size: number): Buffer => Buffer.allocUnsafe(size);
const NO_BYTES = Buffer.alloc(0);

export interface DecodedSegment {
  records: WalRecord[];
  /** Bytes up to the end of the last intact record; anything after it is a torn or corrupt tail. */
  validLength: number;
}

/** Reads records until the end or the first frame that is short, mis-framed or fails its checksum. */
export function decodeSegment(bytes: Buffer): DecodedSegment {
  const records: WalRecord[] = [];
  let offset = 0;
  while (offset + FRAME_HEADER_BYTES <= bytes.length) {
    if (bytes.readUInt32BE(offset) !== MAGIC) break;
    const length = bytes.readUInt32BE(offset + 4);
    const end = offset + FRAME_HEADER_BYTES + length;
    if (length < 5 || end > bytes.length) break;
    const payload = bytes.subarray(offset + FRAME_HEADER_BYTES, end);
    if (crc32(payload) !== bytes.readUInt32BE(offset + 8)) break;
    const record = decodePayload(payload);
    if (record === null) break;
    records.push(record);
    offset = end;
  }
  return { records, validLength: offset };
}

function decodePayload(payload: Buffer): WalRecord | null {
  const kind = payload.readUInt8(0);
  const headerLength = payload.readUInt32BE(1);
  if (5 + headerLength > payload.length) return null;
  const headerBytes = payload.subarray(5, 5 + headerLength);
  const header = headerBytes.toString("utf8");
  if (kind === KIND_TOMBSTONE) {
    const id = idOf(header);
    return id === null ? null : { kind: "tombstone", id };
  }
  if (kind !== KIND_MESSAGE) return null;
  const sidecar = parseSidecar(header);
  if (sidecar === null) return null;
  // Views into the segment buffer, not copies: replay holds one segment at a time and writes these
  // straight to disk, and copying 16 MiB per segment is most of what a replay costs.
  return { kind: "message", sidecar, sidecarJson: headerBytes, raw: payload.subarray(5 + headerLength) };
}

function idOf(json: string): string | null {
  try {
    const id = (JSON.parse(json) as { id?: unknown } | null)?.id;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}

/** Where one intact record lies in a segment, without copying its bytes (`message-segments.ts`). */
export interface RecordPosition {
  kind: "message" | "tombstone";
  id: string;
  /** Of the frame header. */
  offset: number;
  /** The whole frame: header, lead, sidecar JSON and raw bytes. */
  frameLength: number;
  headerLength: number;
  rawLength: number;
}

/** Bytes from a frame's start to its header (sidecar JSON): frame header plus kind and length. */
export const RECORD_HEADER_OFFSET = FRAME_HEADER_BYTES + 5;

/**
 * How long the frame starting at `offset` says it is (its header included), or null when no frame
 * header starts there. Only a claim: `positionAt` checks it.
 */
export function claimedFrameLength(bytes: Buffer, offset: number): number | null {
  if (offset + FRAME_HEADER_BYTES > bytes.length || bytes.readUInt32BE(offset) !== MAGIC) return null;
  return FRAME_HEADER_BYTES + bytes.readUInt32BE(offset + 4);
}

/** The record framed at `offset`, or null when it is short, mis-framed or fails its checksum. */
export function positionAt(bytes: Buffer, offset: number): RecordPosition | null {
  if (offset + FRAME_HEADER_BYTES > bytes.length || bytes.readUInt32BE(offset) !== MAGIC) return null;
  const length = bytes.readUInt32BE(offset + 4);
  const end = offset + FRAME_HEADER_BYTES + length;
  if (length < 5 || end > bytes.length) return null;
  const payload = bytes.subarray(offset + FRAME_HEADER_BYTES, end);
  if (crc32(payload) !== bytes.readUInt32BE(offset + 8)) return null;
  const kind = payload.readUInt8(0);
  const headerLength = payload.readUInt32BE(1);
  if (5 + headerLength > payload.length || (kind !== KIND_MESSAGE && kind !== KIND_TOMBSTONE)) return null;
  const header = payload.subarray(5, 5 + headerLength);
  const id = kind === KIND_TOMBSTONE ? idOf(header.toString("utf8")) : sidecarIdOf(header);
  if (id === null) return null;
  return {
    kind: kind === KIND_TOMBSTONE ? "tombstone" : "message",
    id,
    offset,
    frameLength: end - offset,
    headerLength,
    rawLength: payload.length - 5 - headerLength,
  };
}

const SIDECAR_PREFIX = /^\{"version":1,"id":"([0-9a-z]{26})"/;

function sidecarIdOf(header: Buffer): string | null {
  const fast = SIDECAR_PREFIX.exec(header.subarray(0, 64).toString("latin1"));
  if (fast) return fast[1]!;
  return parseSidecar(header.toString("utf8"))?.id ?? null;
}
