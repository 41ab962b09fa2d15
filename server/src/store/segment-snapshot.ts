import { open, rename, rm } from "node:fs/promises";
import { endianness } from "node:os";
import { basename, join } from "node:path";
import { crc32 } from "node:zlib";
import {
  ascendingIds,
  type CapturedLocators,
  ID_LENGTH,
  type LocatorColumns,
  mergeCaptured,
  NUMBERS_PER_LOCATOR,
} from "./locator-table.js";
import { MESSAGE_ID_PATTERN } from "./model.js";
import { readWholeFile, SEGMENT_LOCATORS } from "./read-ahead.js";
import { writeAll } from "./write-all.js";

/**
 * `segments/locators.bin`: where every message's newest record was, and each segment's length and
 * live-byte accounts, at the last point where every segment it names was closed: a clean close, a
 * rotation, or a start that had to scan. The next start loads it instead of reading those segments,
 * and scans only the segments written since (each run appends only to segments it starts), so the
 * accounts are never counted twice. It is trusted only while every segment it names either still
 * exists with the length it recorded or is gone (compacted away, its records re-found in newer
 * segments); anything else (a length changed, an unnamed older segment, a torn or garbled file)
 * means a full scan, which needs nothing from here.
 *
 * Layout (version 3), little-endian:
 *
 *   "MNLC" | u32 version | u32 JSON bytes | u32 locator count | u32 crc32 of everything after this
 *   JSON `{ "segments": [...] }`
 *   ids: 26 ASCII bytes each, strictly ascending
 *   numbers: five float64s per id (segment, offset, frame, header and raw lengths)
 *
 * zero bytes before the ids and before the numbers start each at a multiple of 8 bytes from the
 * start of the file, so the numbers can be read in place.
 *
 * The two columns are what the store searches (`locator-table.ts`): a start reads them and checks
 * them, and allocates nothing per message. Versions 1 and 2 (`locators.json`: an array per message,
 * then the columns in base64 inside JSON) are still read, so an upgrade does not scan every segment.
 */
const FILE_NAME = basename(SEGMENT_LOCATORS);
const LEGACY_FILE_NAME = "locators.json";
const MAGIC = "MNLC";
const VERSION = 3;
const HEADER_BYTES = 20;
const CRC_START = HEADER_BYTES;
/** Each number a float64: every safe integer fits, whatever a segment's size. */
const NUMBER_BYTES = 8;

export interface SnapshotSegment {
  number: number;
  bytes: number;
  live: number;
  tombstoneBytes: number;
  tombstones: string[];
}

export interface SegmentSnapshot {
  segments: SnapshotSegment[];
  locators: LocatorColumns;
}

/** What a locator file is written from: the segments' accounts and the captured locators. */
export interface SegmentState {
  segments: SnapshotSegment[];
  locators: CapturedLocators;
}

const BIG_ENDIAN = endianness() === "BE";

function padded(length: number): number {
  return Math.ceil(length / NUMBER_BYTES) * NUMBER_BYTES;
}

/**
 * The file's bytes, as the chunks to write one after the other: the columns are not copied into one
 * buffer (at 50,000 messages that was a fresh 3.4 MB at every rotation; see `columnBuffer`). Merging
 * and sorting the captured locators happens here, off the rotation's tick, unless the caller merged
 * them already (`columns`, to fold them into the table too).
 */
export function encodeSegmentSnapshot(
  state: SegmentState,
  columns: LocatorColumns = mergeCaptured(state.locators),
): Buffer[] {
  const { ids, numbers } = columns;
  const count = ids.length / ID_LENGTH;
  const json = Buffer.from(JSON.stringify({ segments: state.segments }), "utf8");
  const idsAt = padded(HEADER_BYTES + json.length);
  const numbersAt = padded(idsAt + ids.length);
  const head = Buffer.alloc(idsAt);
  head.write(MAGIC, 0, "latin1");
  head.writeUInt32LE(VERSION, 4);
  head.writeUInt32LE(json.length, 8);
  head.writeUInt32LE(count, 12);
  json.copy(head, HEADER_BYTES);
  let packed = Buffer.from(numbers.buffer, numbers.byteOffset, numbers.byteLength);
  // The file's numbers are little-endian: a big-endian machine writes a swapped copy.
  if (BIG_ENDIAN) packed = Buffer.from(packed).swap64();
  const chunks = [head, ids, Buffer.alloc(numbersAt - idsAt - ids.length), packed];
  let checksum = crc32(head.subarray(CRC_START));
  for (const chunk of chunks.slice(1)) checksum = crc32(chunk, checksum);
  head.writeUInt32LE(checksum, 16);
  return chunks.filter((chunk) => chunk.length > 0);
}

/**
 * Written durably (temp file fsync'd, renamed, directory fsync'd by the caller). A locator file of
 * an older version, which a start reads only when this one is absent, is removed after it.
 */
export async function writeSegmentSnapshot(directory: string, chunks: Buffer[]): Promise<void> {
  const path = join(directory, FILE_NAME);
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, "w");
  try {
    await writeAll(handle, chunks);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  await rm(join(directory, LEGACY_FILE_NAME), { force: true });
}

/**
 * Null when absent or not one of ours. It stays on disk: after a crash of the run that loaded it,
 * it is still right about the segments it names, unless one of them was compacted away (which the
 * length check notices), so the next start again scans only what was written since.
 */
export async function readSegmentSnapshot(directory: string): Promise<SegmentSnapshot | null> {
  const path = join(directory, FILE_NAME);
  await rm(`${path}.tmp`, { force: true });
  let bytes: Buffer | null;
  try {
    bytes = await readWholeFile(path);
  } catch {
    bytes = null;
  }
  if (bytes !== null) return decodeSegmentSnapshot(bytes);
  return readLegacySnapshot(join(directory, LEGACY_FILE_NAME));
}

/** The snapshot in a version-3 file's bytes, or null when they are not one intact. */
export function decodeSegmentSnapshot(file: Buffer): SegmentSnapshot | null {
  if (file.length < HEADER_BYTES || file.toString("latin1", 0, 4) !== MAGIC) return null;
  if (file.readUInt32LE(4) !== VERSION) return null;
  const jsonLength = file.readUInt32LE(8);
  const count = file.readUInt32LE(12);
  const idsAt = padded(HEADER_BYTES + jsonLength);
  const numbersAt = padded(idsAt + count * ID_LENGTH);
  if (file.length !== numbersAt + count * NUMBERS_PER_LOCATOR * NUMBER_BYTES) return null;
  if (file.readUInt32LE(16) !== crc32(file.subarray(CRC_START))) return null;
  let segments: unknown;
  try {
    segments = (
      JSON.parse(file.toString("utf8", HEADER_BYTES, HEADER_BYTES + jsonLength)) as { segments?: unknown }
    ).segments;
  } catch {
    return null;
  }
  const checked = checkSegments(segments);
  if (checked === null) return null;
  const ids = file.subarray(idsAt, idsAt + count * ID_LENGTH);
  // The checksum vouches for the bytes; this for what binary search relies on.
  if (!ascendingIds(ids)) return null;
  return { segments: checked, locators: { ids, numbers: numbersOf(file, numbersAt, count) } };
}

/**
 * The numbers column, read in place where it can be: the ids are a view of the file's buffer too,
 * so a copy would hold the numbers twice (2 MB at 50,000 messages). A copy where the view would be
 * misaligned, or the bytes need swapping.
 */
function numbersOf(file: Buffer, at: number, count: number): Float64Array {
  const length = count * NUMBERS_PER_LOCATOR;
  if (!BIG_ENDIAN && (file.byteOffset + at) % NUMBER_BYTES === 0) {
    return new Float64Array(file.buffer, file.byteOffset + at, length);
  }
  const numbers = new Float64Array(length);
  const view = Buffer.from(numbers.buffer);
  file.copy(view, 0, at);
  if (BIG_ENDIAN) view.swap64();
  return numbers;
}

function checkSegments(value: unknown): SnapshotSegment[] | null {
  if (!Array.isArray(value)) return null;
  const segments = value.filter(isSegment);
  return segments.length === value.length ? segments : null;
}

function isSegment(value: unknown): value is SnapshotSegment {
  const segment = value as Partial<SnapshotSegment> | null;
  return (
    [segment?.number, segment?.bytes, segment?.live, segment?.tombstoneBytes].every(Number.isSafeInteger) &&
    Array.isArray(segment?.tombstones) &&
    segment.tombstones.every((id) => typeof id === "string" && MESSAGE_ID_PATTERN.test(id))
  );
}

/** Versions 1 and 2 (`locators.json`), as releases before this one wrote them; null when unusable. */
async function readLegacySnapshot(path: string): Promise<SegmentSnapshot | null> {
  let text: string;
  try {
    const bytes = await readWholeFile(path);
    if (bytes === null) return null;
    text = bytes.toString("latin1");
  } catch {
    return null;
  }
  try {
    const value = JSON.parse(text) as { version?: unknown; segments?: unknown; locators?: unknown };
    const segments = checkSegments(value.segments);
    if (segments === null) return null;
    const placed =
      value.version === 2
        ? version2Locators(value.locators)
        : value.version === 1
          ? version1Locators(value.locators)
          : null;
    if (placed === null) return null;
    // The same sorting and packing as a new file's (it also refuses an id that is not a message id).
    const locators = mergeCaptured({ base: NO_COLUMNS, current: new Uint8Array(0), ...placed });
    // An id listed twice would leave the column out of order for binary search.
    return ascendingIds(locators.ids) ? { segments, locators } : null;
  } catch {
    return null;
  }
}

const NO_COLUMNS: LocatorColumns = { ids: Buffer.alloc(0), numbers: new Float64Array(0) };

/** The locators of an older file, as `CapturedLocators` holds those placed since a start. */
type LegacyLocators = Pick<CapturedLocators, "ids" | "numbers">;

/** Version 2: every id in one string, their numbers as float64s in base64, a crc32 of both. */
function version2Locators(value: unknown): LegacyLocators | null {
  const {
    ids,
    numbers,
    crc32: checksum,
  } = (value ?? {}) as { ids?: unknown; numbers?: unknown; crc32?: unknown };
  if (typeof ids !== "string" || typeof numbers !== "string" || checksum !== crc32(numbers, crc32(ids))) {
    return null;
  }
  const packed = Buffer.from(numbers, "base64");
  if (
    ids.length % ID_LENGTH !== 0 ||
    packed.length !== (ids.length / ID_LENGTH) * NUMBERS_PER_LOCATOR * NUMBER_BYTES
  ) {
    return null;
  }
  const unpacked = new Float64Array(packed.length / NUMBER_BYTES);
  for (let index = 0; index < unpacked.length; index += 1) {
    unpacked[index] = packed.readDoubleLE(index * NUMBER_BYTES);
  }
  const split = Array.from({ length: ids.length / ID_LENGTH }, (_, index) =>
    ids.slice(index * ID_LENGTH, (index + 1) * ID_LENGTH),
  );
  return { ids: split, numbers: unpacked };
}

/** Version 1: `[id, segment, offset, frameLength, headerLength, rawLength]` per message. */
function version1Locators(value: unknown): LegacyLocators | null {
  if (!Array.isArray(value)) return null;
  const ids: string[] = [];
  const numbers: number[] = [];
  for (const entry of value as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 1 + NUMBERS_PER_LOCATOR) return null;
    const [id, ...fields] = entry as unknown[];
    if (typeof id !== "string" || !MESSAGE_ID_PATTERN.test(id)) return null;
    if (!fields.every((field) => Number.isSafeInteger(field) && (field as number) >= 0)) return null;
    ids.push(id);
    numbers.push(...(fields as number[]));
  }
  return { ids, numbers: Float64Array.from(numbers) };
}
