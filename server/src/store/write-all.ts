import { writeSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";

/** Writes every chunk through `writev`, which may write partially: loops until every byte is down. */
export async function writeAll(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  let pending = chunks;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending);
    pending = dropBytes(pending, bytesWritten);
  }
}

/**
 * Writes every byte of `bytes` with `writeSync`, which may write partially: at `position`, or at the
 * descriptor's own offset (the end, for a file opened to append) when it is null.
 */
export function writeAllSync(fd: number, bytes: Buffer, position: number | null): void {
  let done = 0;
  while (done < bytes.length) {
    done += writeSync(fd, bytes, done, bytes.length - done, position === null ? null : position + done);
  }
}

/** What is left of `chunks` once their first `count` bytes are written. */
export function dropBytes(chunks: Buffer[], count: number): Buffer[] {
  let remaining = count;
  const rest: Buffer[] = [];
  for (const chunk of chunks) {
    if (remaining >= chunk.length) {
      remaining -= chunk.length;
    } else {
      rest.push(remaining > 0 ? chunk.subarray(remaining) : chunk);
      remaining = 0;
    }
  }
  return rest;
}
