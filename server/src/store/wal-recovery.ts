import { createHash } from "node:crypto";
import { readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseSidecar } from "./sidecar.js";
import { decodeSegment, type WalRecord } from "./wal-record.js";
import { SEGMENT_NAME_PATTERN } from "./write-ahead-log.js";

export interface WalRecoveryOptions {
  directory: string;
  rawPath(id: string): string;
  sidecarPath(id: string): string;
  syncFile(path: string): Promise<void>;
  syncMessagesDir(): Promise<void>;
  syncLogDir(): Promise<void>;
}

export interface WalRecovery {
  /** Message records replayed (their files checked, and fsync'd). */
  replayed: number;
  /** Files rewritten from the log because they were missing, torn or different. */
  restored: number;
  /** Ids whose tombstone was found: their files are removed. */
  deleted: number;
  /** The number the next segment should get (above every segment seen). */
  nextSegment: number;
}

/**
 * Startup, before reconciliation: replays the segments a crash left behind, oldest first. A torn or
 * corrupt tail is truncated (records after it were never acknowledged: each acknowledgement waits
 * for the fdatasync of everything before it). For each intact message record the `.eml` must exist
 * with the logged sha256 and the sidecar must parse; either is rewritten from the record otherwise.
 * Ids with a tombstone (in the same or a later segment) are deleted after the replay, so a deleted
 * message never comes back. Everything replayed is then fsync'd and the segments are deleted.
 */
export async function recoverWal(options: WalRecoveryOptions): Promise<WalRecovery> {
  const segments = (await readdir(options.directory))
    .map((name) => SEGMENT_NAME_PATTERN.exec(name))
    .filter((match) => match !== null)
    .map((match) => ({ name: match[0], number: Number(match[1]) }))
    .sort((a, b) => a.number - b.number);

  const replayedIds = new Set<string>();
  const tombstones = new Set<string>();
  let restored = 0;
  for (const { name } of segments) {
    const path = join(options.directory, name);
    const bytes = await readFile(path);
    const { records, validLength } = decodeSegment(bytes);
    if (validLength < bytes.length) await truncate(path, validLength);
    for (const record of records) {
      if (record.kind === "tombstone") {
        tombstones.add(record.id);
        continue;
      }
      restored += await restoreMessage(record, options);
      replayedIds.add(record.sidecar.id);
    }
  }

  for (const id of tombstones) {
    replayedIds.delete(id);
    // The .eml first: without it the sidecar is garbage that reconciliation would remove anyway.
    await rm(options.rawPath(id), { force: true });
    await rm(options.sidecarPath(id), { force: true });
  }
  for (const id of replayedIds) {
    await options.syncFile(options.rawPath(id));
    await options.syncFile(options.sidecarPath(id));
  }
  if (segments.length > 0) {
    await options.syncMessagesDir();
    for (const { name } of segments) await rm(join(options.directory, name), { force: true });
    await options.syncLogDir();
  }
  return {
    replayed: replayedIds.size,
    restored,
    deleted: tombstones.size,
    nextSegment: (segments.at(-1)?.number ?? 0) + 1,
  };
}

async function restoreMessage(
  record: Extract<WalRecord, { kind: "message" }>,
  options: WalRecoveryOptions,
): Promise<number> {
  const { sidecar, raw } = record;
  let restored = 0;
  const rawPath = options.rawPath(sidecar.id);
  const existing = await readFile(rawPath).catch(() => null);
  if (existing === null || sha256(existing) !== sidecar.sha256) {
    await writeFile(rawPath, raw);
    restored += 1;
  }
  // A sidecar that parses is kept: it may be newer than the record (an inbox was cleared since).
  const sidecarPath = options.sidecarPath(sidecar.id);
  const json = await readFile(sidecarPath, "utf8").catch(() => null);
  if (json === null || parseSidecar(json, sidecar.id) === null) {
    await writeFile(sidecarPath, JSON.stringify(sidecar));
    restored += 1;
  }
  return restored;
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
