import { open, rename, rm, writeFile } from "node:fs/promises";
import { endianness } from "node:os";
import { basename, join } from "node:path";
import { crc32 } from "node:zlib";
import { MESSAGE_ID_PATTERN } from "./model.js";
import { readWholeFile, SEGMENT_LOCATORS } from "./read-ahead.js";

/**
 * `segments/locators.json`: where every message's newest record was, and each segment's length and
 * live-byte accounts, at the last point where every segment it names was closed: a clean close, a
 * rotation, or a start that had to scan. The next start loads it instead of reading those segments,
 * and scans only the segments written since (each run appends only to segments it starts), so the
 * accounts are never counted twice. It is trusted only while every segment it names either still
 * exists with the length it recorded or is gone (compacted away, its records re-found in newer
 * segments); anything else (a length changed, an unnamed older segment, a torn or garbled file)
 * means a full scan, which needs nothing from here.
 */
const FILE_NAME = basename(SEGMENT_LOCATORS);
/**
 * 2: the locators as one string of ids and their numbers packed in base64. Version 1 held an array
 * per message: 50,000 of them took about a tenth of a restart to parse, check and collect. A file of
 * version 1 is still read, so the first start after an upgrade does not scan every segment.
 */
const VERSION = 2;
const ID_LENGTH = 26;
/** Numbers per locator: segment, offset, frameLength, headerLength, rawLength. */
const NUMBERS_PER_LOCATOR = 5;
/** Each number a little-endian float64: every safe integer fits, whatever a segment's size. */
const NUMBER_BYTES = 8;
/** What every id's characters are (`MESSAGE_ID_PATTERN`), checked over the whole string at once. */
const ID_CHARACTERS = /^[0-9a-z]*$/;

export interface SnapshotSegment {
  number: number;
  bytes: number;
  live: number;
  tombstoneBytes: number;
  tombstones: string[];
}

/**
 * Every message's locator: the i-th id is `ids.slice(26 * i, 26 * (i + 1))`, and its segment, offset,
 * frame, header and raw lengths are the numbers 5i to 5i + 4 of `numbers`, float64s in base64
 * (parsing 250,000 JSON numbers was most of reading the file).
 */
export interface SnapshotLocators {
  ids: string;
  numbers: string;
  /** crc32 of `ids` then `numbers`: the numbers are not checked one by one (startup code runs cold). */
  crc32: number;
}

export interface SegmentSnapshot {
  segments: SnapshotSegment[];
  locators: SnapshotLocators;
}

/** A locator, as `forEachLocator` hands it out. */
export interface LocatorFields {
  segment: number;
  offset: number;
  frameLength: number;
  headerLength: number;
  rawLength: number;
}

/**
 * The locators as they are at one point, copied into two columns: what has to happen in that tick.
 * Joining, packing and checksumming them (`encodeSegmentSnapshot`) can wait.
 */
export interface CapturedLocators {
  ids: string[];
  numbers: Float64Array;
}

/** What a locator file is written from: the segments' accounts and the captured locators. */
export interface SegmentState {
  segments: SnapshotSegment[];
  locators: CapturedLocators;
}

/** Copies every locator into preallocated columns (after a crash restart's scan it runs before the server is up). */
export function captureLocators(locators: ReadonlyMap<string, LocatorFields>): CapturedLocators {
  const ids = new Array<string>(locators.size);
  const numbers = new Float64Array(locators.size * NUMBERS_PER_LOCATOR);
  let index = 0;
  // forEach, not for-of: no [id, locator] pair allocated per entry.
  locators.forEach((locator, id) => {
    const at = index * NUMBERS_PER_LOCATOR;
    ids[index] = id;
    numbers[at] = locator.segment;
    numbers[at + 1] = locator.offset;
    numbers[at + 2] = locator.frameLength;
    numbers[at + 3] = locator.headerLength;
    numbers[at + 4] = locator.rawLength;
    index += 1;
  });
  return { ids, numbers };
}

function withChecksum(ids: string, numbers: string): SnapshotLocators {
  return { ids, numbers, crc32: crc32(numbers, crc32(ids)) };
}

function packNumbers(numbers: Float64Array): string {
  const packed = Buffer.from(numbers.buffer, numbers.byteOffset, numbers.byteLength);
  if (BIG_ENDIAN) packed.swap64();
  const text = packed.toString("base64");
  if (BIG_ENDIAN) packed.swap64();
  return text;
}

/** Null when the length is not whole numbers. A copy, so the view is aligned (and swapped where needed). */
function unpackNumbers(base64: string): Float64Array | null {
  const packed = Buffer.from(base64, "base64");
  if (packed.length % NUMBER_BYTES !== 0) return null;
  const numbers = new Float64Array(packed.length / NUMBER_BYTES);
  const bytes = Buffer.from(numbers.buffer);
  packed.copy(bytes);
  if (BIG_ENDIAN) bytes.swap64();
  return numbers;
}

const BIG_ENDIAN = endianness() === "BE";

/** Visits the locators of a snapshot `readSegmentSnapshot` returned (so they were checked). */
export function forEachLocator(
  locators: SnapshotLocators,
  visit: (
    id: string,
    segment: number,
    offset: number,
    frameLength: number,
    headerLength: number,
    rawLength: number,
  ) => void,
): void {
  const { ids } = locators;
  const numbers = unpackNumbers(locators.numbers) ?? new Float64Array(0);
  for (let index = 0, at = 0; at < ids.length; index += NUMBERS_PER_LOCATOR, at += ID_LENGTH) {
    visit(
      ids.slice(at, at + ID_LENGTH),
      tagged(numbers[index]!),
      tagged(numbers[index + 1]!),
      tagged(numbers[index + 2]!),
      tagged(numbers[index + 3]!),
      tagged(numbers[index + 4]!),
    );
  }
}

/**
 * A float64 read from the array is a double to V8, and an object field given one holds it boxed (12
 * bytes more per field): 50,000 locators held 3 MB more than when they came from JSON. `| 0` makes
 * one that fits 31 bits a small integer again, which every real offset and length does.
 */
function tagged(number: number): number {
  return number <= 0x3fffffff ? number | 0 : number;
}

/** The file's bytes: every character is ASCII, so latin1 is the cheapest exact encoding. */
export function encodeSegmentSnapshot(state: SegmentState): Buffer {
  const locators = withChecksum(state.locators.ids.join(""), packNumbers(state.locators.numbers));
  return Buffer.from(JSON.stringify({ version: VERSION, segments: state.segments, locators }), "latin1");
}

/** Written durably (temp file fsync'd, renamed, directory fsync'd by the caller). */
export async function writeSegmentSnapshot(directory: string, text: Buffer): Promise<void> {
  const path = join(directory, FILE_NAME);
  const temporary = `${path}.tmp`;
  await writeFile(temporary, text);
  const handle = await open(temporary, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
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
    return null;
  }
  if (bytes === null) return null;
  // Every character the file holds is ASCII (ids, numbers, base64): latin1 decodes it fastest.
  const text = bytes.toString("latin1");
  try {
    const value = JSON.parse(text) as { version?: unknown; segments?: unknown; locators?: unknown };
    if (!Array.isArray(value.segments)) return null;
    const locators =
      value.version === VERSION && isLocators(value.locators)
        ? value.locators
        : value.version === 1
          ? fromVersion1(value.locators)
          : null;
    if (locators === null) return null;
    const segments = value.segments.filter(isSegment);
    if (segments.length !== value.segments.length) return null;
    return { segments, locators };
  } catch {
    return null;
  }
}

function isSegment(value: unknown): value is SnapshotSegment {
  const segment = value as Partial<SnapshotSegment> | null;
  return (
    [segment?.number, segment?.bytes, segment?.live, segment?.tombstoneBytes].every(Number.isSafeInteger) &&
    Array.isArray(segment?.tombstones) &&
    segment.tombstones.every((id) => typeof id === "string" && MESSAGE_ID_PATTERN.test(id))
  );
}

/** Version 1's `[id, segment, offset, frameLength, headerLength, rawLength]` per message. */
function fromVersion1(value: unknown): SnapshotLocators | null {
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
  return withChecksum(ids.join(""), packNumbers(Float64Array.from(numbers)));
}

function isLocators(value: unknown): value is SnapshotLocators {
  const locators = value as Partial<SnapshotLocators> | null | undefined;
  const { ids, numbers, crc32: checksum } = locators ?? {};
  if (typeof ids !== "string" || typeof numbers !== "string" || checksum !== crc32(numbers, crc32(ids))) {
    return false;
  }
  if (ids.length % ID_LENGTH !== 0 || !ID_CHARACTERS.test(ids)) return false;
  // base64 of whole float64s, as many as the ids need (the checksum vouches for their values).
  return (
    Buffer.byteLength(numbers, "base64") === (ids.length / ID_LENGTH) * NUMBERS_PER_LOCATOR * NUMBER_BYTES
  );
}
