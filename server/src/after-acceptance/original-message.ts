import type { Readable } from "node:stream";
import { MAX_RETURNED_HEADER_BYTES } from "@mailnest/protocol";

/** What a report carries of the message it is about. */
export type ReturnedContent =
  | { kind: "full"; raw: Buffer }
  | {
      kind: "headers";
      header: Buffer;
      /** Why the whole message is not attached (it was asked for), for the report's text; null when it was not asked for. */
      reason: string | null;
    };

/**
 * Reads a stored message's header block (up to the blank line that ends it), cut at a line after
 * `MAX_RETURNED_HEADER_BYTES`, and stops reading there.
 */
export async function readHeaderBlock(raw: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const data of raw) {
      const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as string);
      chunks.push(chunk);
      size += chunk.length;
      const sofar = Buffer.concat(chunks, size);
      const end = headerEnd(sofar);
      if (end !== -1) return sofar.subarray(0, end);
      if (size > MAX_RETURNED_HEADER_BYTES) return cutAtLine(sofar, MAX_RETURNED_HEADER_BYTES);
    }
  } finally {
    raw.destroy();
  }
  // A message that is all header (no blank line): the whole of it, ending in a line break.
  const whole = Buffer.concat(chunks, size);
  return whole.length > 0 && !whole.subarray(-1).equals(Buffer.from("\n"))
    ? Buffer.concat([whole, Buffer.from("\r\n")])
    : whole;
}

/** Reads a whole stored message, or null when it is larger than `limit` (reading stops there). */
export async function readWhole(raw: Readable, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const data of raw) {
      const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as string);
      size += chunk.length;
      if (size > limit) return null;
      chunks.push(chunk);
    }
  } finally {
    raw.destroy();
  }
  return Buffer.concat(chunks, size);
}

/** The offset just past the header block's last line (before the empty line), or -1. */
function headerEnd(buffer: Buffer): number {
  if (buffer.subarray(0, 2).toString("latin1") === "\r\n") return 0;
  if (buffer.subarray(0, 1).toString("latin1") === "\n") return 0;
  const crlf = buffer.indexOf("\r\n\r\n");
  const lf = buffer.indexOf("\n\n");
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return crlf + 2;
  return lf === -1 ? -1 : lf + 1;
}

function cutAtLine(buffer: Buffer, limit: number): Buffer {
  const lastBreak = buffer.lastIndexOf("\n", limit);
  return buffer.subarray(0, lastBreak === -1 ? limit : lastBreak + 1);
}
