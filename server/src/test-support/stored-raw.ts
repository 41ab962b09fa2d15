import { readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SEGMENT_FILE_PATTERN } from "../store/message-segments.js";
import { scanSegment } from "../store/segment-file-scan.js";
import { RECORD_HEADER_OFFSET } from "../store/wal-record.js";

/** Where a message's raw bytes are on disk: its `.eml`, or a byte range of a segment. */
export interface StoredRawRange {
  path: string;
  start: number;
  length: number;
  /** Whether the range ends its file (so truncating the file cuts only this message). */
  atEnd: boolean;
}

/**
 * Finds the raw bytes of `id` under a data directory the way the store does (the newest segment
 * record wins, else `messages/<id>.eml`), so tests can damage them by hand in either layout.
 */
export async function storedRawRange(dataDir: string, id: string): Promise<StoredRawRange> {
  const segmentsDir = join(dataDir, "segments");
  const names = (await readdir(segmentsDir).catch(() => [] as string[]))
    .filter((name) => SEGMENT_FILE_PATTERN.test(name))
    .sort();
  let found: StoredRawRange | null = null;
  for (const name of names) {
    const path = join(segmentsDir, name);
    const bytes = await readFile(path);
    // The records end where the scan stops: the current segment has zeros written ahead of them.
    const { positions, validLength } = scanSegment(bytes);
    for (const position of positions) {
      if (position.id !== id) continue;
      if (position.kind === "tombstone") {
        found = null;
        continue;
      }
      const start = position.offset + RECORD_HEADER_OFFSET + position.headerLength;
      found = { path, start, length: position.rawLength, atEnd: start + position.rawLength === validLength };
    }
  }
  if (found) return found;
  const path = join(dataDir, "messages", `${id}.eml`);
  return { path, start: 0, length: (await stat(path)).size, atEnd: true };
}

/** Cuts the raw bytes of `id` to `keep` bytes (and the file there); they must be its last record's. */
export async function cutStoredRaw(dataDir: string, id: string, keep: number): Promise<void> {
  const range = await storedRawRange(dataDir, id);
  if (!range.atEnd) throw new Error(`the raw bytes of ${id} are not at the end of ${range.path}`);
  await keepCut(range.path, range.start + keep);
}

/** How long the file must stay cut before the cut counts as kept. */
const CUT_QUIET_MS = 500;
const CUT_GIVE_UP_MS = 15_000;

/**
 * Truncates `path` to `length` and keeps it there while the store may still write to it. The current
 * segment's fill (`store/zero-filled-file.ts`) writes zeros ahead of the records in the background
 * after each append, in up to two steps; a fill write that lands after the cut extends the file
 * again, and the store would then read zeros where the cut bytes were instead of a short file. A
 * fill stops by itself once it is far enough ahead, so the file settles.
 */
async function keepCut(path: string, length: number): Promise<void> {
  await truncate(path, length);
  const started = performance.now();
  let quietSince = started;
  while (performance.now() - quietSince < CUT_QUIET_MS) {
    if (performance.now() - started > CUT_GIVE_UP_MS)
      throw new Error(`${path} did not stay cut at ${length} bytes`);
    await new Promise((resolve) => setTimeout(resolve, 25));
    if ((await stat(path)).size !== length) {
      await truncate(path, length);
      quietSince = performance.now();
    }
  }
}

/**
 * Flips one bit of the last raw byte of `id`, in place. Pass the range found before a first flip to
 * flip it back: a damaged record no longer scans (its checksum fails).
 */
export async function flipLastStoredRawByte(
  dataDir: string,
  id: string,
  known?: StoredRawRange,
): Promise<void> {
  const range = known ?? (await storedRawRange(dataDir, id));
  const bytes = await readFile(range.path);
  const last = range.start + range.length - 1;
  bytes[last] = (bytes[last] ?? 0) ^ 0x01;
  await writeFile(range.path, bytes);
}
