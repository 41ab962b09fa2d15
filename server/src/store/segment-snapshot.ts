import { open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MESSAGE_ID_PATTERN } from "./model.js";

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
const FILE_NAME = "locators.json";
const VERSION = 1;

export interface SnapshotSegment {
  number: number;
  bytes: number;
  live: number;
  tombstoneBytes: number;
  tombstones: string[];
}

/** `[id, segment, offset, frameLength, headerLength, rawLength]`: compact in JSON. */
export type SnapshotLocator = [string, number, number, number, number, number];

export interface SegmentSnapshot {
  segments: SnapshotSegment[];
  locators: SnapshotLocator[];
}

/** Encoded when the state is captured (a consistent point), written later. */
export function encodeSegmentSnapshot(snapshot: SegmentSnapshot): string {
  return JSON.stringify({ version: VERSION, ...snapshot });
}

/** Written durably (temp file fsync'd, renamed, directory fsync'd by the caller). */
export async function writeSegmentSnapshot(directory: string, text: string): Promise<void> {
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
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return null;
  }
  try {
    const value = JSON.parse(text) as Partial<SegmentSnapshot> & { version?: unknown };
    if (value.version !== VERSION || !Array.isArray(value.segments) || !Array.isArray(value.locators)) {
      return null;
    }
    const segments = value.segments.filter(isSegment);
    const locators = value.locators.filter(isLocator);
    if (segments.length !== value.segments.length || locators.length !== value.locators.length) return null;
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

function isLocator(value: unknown): value is SnapshotLocator {
  return (
    Array.isArray(value) &&
    value.length === 6 &&
    typeof value[0] === "string" &&
    MESSAGE_ID_PATTERN.test(value[0]) &&
    value.slice(1).every(Number.isSafeInteger)
  );
}
