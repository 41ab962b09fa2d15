import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { readdir, readFile, rm, truncate } from "node:fs/promises";
import { join } from "node:path";
import { parseSidecar } from "./sidecar.js";
import { decodeSegment, type WalRecord } from "./wal-record.js";
import { type LeftoverSegment, SEGMENT_NAME_PATTERN } from "./write-ahead-log.js";

export interface WalRecoveryOptions {
  directory: string;
  rawPath(id: string): string;
  sidecarPath(id: string): string;
}

export interface WalRecovery {
  /** Message records replayed (their files checked and, where needed, rewritten). */
  replayed: number;
  /** Files rewritten from the log because they were missing, torn or different. */
  restored: number;
  /** Ids whose tombstone was found: their files are removed. */
  deleted: number;
  /** Oldest first; handed to the write-ahead log, whose background checkpoint fsyncs and deletes them. */
  segments: LeftoverSegment[];
  /** The number the next segment should get (above every segment seen). */
  nextSegment: number;
}

/**
 * Startup, before reconciliation: replays the segments a crash left behind, oldest first. A torn or
 * corrupt tail is truncated (records after it were never acknowledged: each acknowledgement waits
 * for the fdatasync of everything before it). For each intact message record the `.eml` must exist
 * with the logged sha256 and the sidecar must parse; either is rewritten from the record otherwise.
 * Ids with a tombstone (in the same or a later segment) are deleted after the replay, so a deleted
 * message never comes back.
 *
 * Nothing is fsync'd here. The segments are durable and stay on disk, so they remain the home of
 * their messages exactly as during normal operation: the write-ahead log adopts them and its
 * background checkpoint fsyncs the files and deletes them after the store is ready. A crash before
 * that replays them again. (Fsyncing tens of thousands of files one after the other here is what made
 * a restart after `kill -9` under load take most of a minute.)
 */
export async function recoverWal(options: WalRecoveryOptions): Promise<WalRecovery> {
  const found = (await readdir(options.directory))
    .map((name) => SEGMENT_NAME_PATTERN.exec(name))
    .filter((match) => match !== null)
    .map((match) => ({ path: join(options.directory, match[0]), number: Number(match[1]) }))
    .sort((a, b) => a.number - b.number);

  const segments: LeftoverSegment[] = [];
  const tombstones = new Set<string>();
  const replayed = new Set<string>();
  let restored = 0;
  for (const { path } of found) {
    const bytes = await readFile(path);
    const { records, validLength } = decodeSegment(bytes);
    if (validLength < bytes.length) await truncate(path, validLength);
    const messages: Extract<WalRecord, { kind: "message" }>[] = [];
    for (const record of records) {
      if (record.kind === "tombstone") tombstones.add(record.id);
      else messages.push(record);
    }
    // Logged twice only if an id were reused, which ULIDs rule out; the later record would win.
    const latest = new Map(messages.map((record) => [record.sidecar.id, record]));
    for (const record of latest.values()) restored += restoreMessage(record, options);
    for (const id of latest.keys()) replayed.add(id);
    segments.push({ path, ids: [...latest.keys()] });
  }

  for (const id of tombstones) {
    replayed.delete(id);
    // The .eml first: without it the sidecar is garbage that reconciliation would remove anyway.
    await rm(options.rawPath(id), { force: true });
    await rm(options.sidecarPath(id), { force: true });
  }
  for (const segment of segments) segment.ids = segment.ids.filter((id) => !tombstones.has(id));
  return {
    replayed: replayed.size,
    restored,
    deleted: tombstones.size,
    segments,
    nextSegment: (found.at(-1)?.number ?? 0) + 1,
  };
}

/**
 * Blocking calls on purpose: nothing else runs before the store is ready, and a few microseconds of
 * syscalls per small file are far cheaper than the thread pool's round trips (four per `readFile`),
 * which on a busy machine made a replay of 30,000 records take seconds.
 */
function restoreMessage(
  record: Extract<WalRecord, { kind: "message" }>,
  options: WalRecoveryOptions,
): number {
  const { sidecar, sidecarJson, raw } = record;
  let restored = 0;
  const rawPath = options.rawPath(sidecar.id);
  const existing = readIfPresent(rawPath);
  if (existing === null || existing.length !== raw.length || sha256(existing) !== sidecar.sha256) {
    writeFileSync(rawPath, raw);
    restored += 1;
  }
  // A sidecar that parses is kept: it may be newer than the record (an inbox was cleared since).
  // Nearly always it is the logged one byte for byte, which needs no parse to tell.
  const sidecarPath = options.sidecarPath(sidecar.id);
  const json = readIfPresent(sidecarPath);
  if (
    json === null ||
    (!json.equals(sidecarJson) && parseSidecar(json.toString("utf8"), sidecar.id) === null)
  ) {
    writeFileSync(sidecarPath, sidecarJson);
    restored += 1;
  }
  return restored;
}

/** The file's bytes, or null when it cannot be read (missing, or anything else replay repairs). */
function readIfPresent(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
