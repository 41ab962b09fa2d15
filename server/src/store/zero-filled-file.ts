import { constants, fdatasyncSync, writevSync } from "node:fs";
import { open } from "node:fs/promises";
import type { AppendFile } from "./append-file.js";
import { dropBytes } from "./write-all.js";

/**
 * How far ahead of the records the zeros are kept. An fdatasync after an append that grows the file
 * also commits ext4's journal (the size changed); after a write over zeros that are already on disk
 * nothing but the data is flushed. On the disk of docs/performance.md that is 0.135 against 0.19 ms
 * (p50) for a 6 KB record: every group commit, and so every acknowledgement on a quiet connection,
 * waits that much less.
 */
export interface ZeroFillOptions {
  /** Zeros written (and fdatasync'd) by one fill. @default 1 MiB */
  fillBytes?: number;
  /** A fill starts once the zeros ahead of the records are fewer than this. @default 2 MiB */
  lowWaterBytes?: number;
  /**
   * A fill starts at least this far past the records, so that the appends right after it (a new
   * segment's first ones) do not wait for it; they grow the file as a plain append does. @default 256 KiB
   */
  gapBytes?: number;
}

const DEFAULTS = { fillBytes: 1024 * 1024, lowWaterBytes: 2 * 1024 * 1024, gapBytes: 256 * 1024 };
/** One buffer of zeros, written as many times as a fill needs; made at the first fill, not at start. */
let zeros: Buffer | null = null;

/**
 * A new segment file written at its own offset, with zeros written and fdatasync'd ahead of the
 * records in the background, so the group commit's fdatasync has no metadata to commit.
 *
 * - A record is never written where a fill still in flight could write zeros over it: an append that
 *   would reach the fill's range waits for the fill first.
 * - `close` cuts the file to its records (and fdatasyncs that), so a closed segment's length is its
 *   records' as before, which the locator file checks.
 * - After a crash the zeros past the last record are a torn tail to the startup scan, which cuts it
 *   (`scanSegmentFile`, `MessageSegments.#load`).
 */
export async function openZeroFilledFile(path: string, options: ZeroFillOptions = {}): Promise<AppendFile> {
  const { fillBytes, lowWaterBytes, gapBytes } = { ...DEFAULTS, ...options };
  // Not O_APPEND: records go at `end`, below the zeros. Not O_TRUNC: an existing file's bytes stay.
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT);
  let end = (await handle.stat()).size;
  /** Where the last fill ended (zeros, or being written, up to here). */
  let filledTo = end;
  let fill: { from: number; done: Promise<void> } | null = null;
  let fillFailed = false;
  let closed = false;

  const startFill = () => {
    if (fill !== null || fillFailed || closed || filledTo - end >= lowWaterBytes) return;
    const from = Math.max(filledTo, end + gapBytes);
    const to = from + fillBytes;
    const done = (async () => {
      zeros ??= Buffer.alloc(256 * 1024);
      for (let at = from; at < to; ) {
        const { bytesWritten } = await handle.write(zeros, 0, Math.min(zeros.length, to - at), at);
        at += bytesWritten;
      }
      await handle.datasync();
      filledTo = to;
    })()
      .catch(() => {
        // Appends still work, growing the file as before; the zeros were only a speed-up.
        fillFailed = true;
      })
      .finally(() => {
        fill = null;
        startFill();
      });
    fill = { from, done };
  };

  return {
    async append(chunks) {
      const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      // The fill's write of zeros and this one may otherwise land in either order.
      while (fill !== null && end + bytes > fill.from) await fill.done;
      let pending = chunks;
      let at = end;
      while (pending.length > 0) {
        const written = writevSync(handle.fd, pending, at);
        at += written;
        pending = dropBytes(pending, written);
      }
      end = at;
      startFill();
    },
    datasync: () => handle.datasync(),
    datasyncNow: () => fdatasyncSync(handle.fd),
    async close() {
      closed = true;
      await fill?.done;
      try {
        await handle.truncate(end);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    },
  };
}
