import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { Clock } from "../clock.js";
import type { BlobStore, RawSink } from "./blob-store.js";
import { IngestAbortedError, MessageTooLargeError, StorageFailedError } from "./errors.js";

export interface ReceivedRaw {
  /** Holds every byte, handed to the OS (not yet fsync'd). */
  sink: RawSink;
  size: number;
  sha256: string;
  /** When the stream ended (the final dot), ISO-8601. */
  receivedAt: string;
  /** The same instant on the server's clock, with sub-millisecond precision. */
  receivedTime: number;
}

/**
 * Streams a message into a new sink, hashing and counting as the bytes pass. Always reads the
 * stream to its end, so the SMTP layer can answer after the final dot: bytes past `maxSize`, or
 * after a write failed, are counted and dropped. On any failure the sink is discarded and the
 * rejection is typed: `MessageTooLargeError`, `StorageFailedError`, or `IngestAbortedError` when the
 * stream errored or was destroyed (the client vanished mid-DATA).
 */
export async function receiveRaw(
  raw: Readable,
  blobs: Pick<BlobStore, "createSink">,
  maxSize: number,
  clock: Clock,
): Promise<ReceivedRaw> {
  // An error emitted before the read loop attaches must not crash the process; the loop still sees
  // the stream as errored and rejects.
  raw.on("error", () => {});
  let sink: RawSink | null = null;
  let storageError: unknown = null;
  try {
    sink = await blobs.createSink();
  } catch (error) {
    storageError = error;
  }

  const hash = createHash("sha256");
  let size = 0;
  try {
    for await (const data of raw) {
      const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as string);
      size += chunk.length;
      if (size > maxSize || sink === null || storageError !== null) continue;
      hash.update(chunk);
      try {
        await sink.write(chunk);
      } catch (error) {
        storageError = error;
      }
    }
  } catch (error) {
    await sink?.discard();
    throw new IngestAbortedError(error);
  }
  const receivedTime = clock();
  const receivedAt = new Date(receivedTime).toISOString();

  if (size > maxSize) {
    await sink?.discard();
    throw new MessageTooLargeError(size, maxSize);
  }
  if (sink === null || storageError !== null) {
    await sink?.discard();
    throw new StorageFailedError("writing the message", storageError);
  }
  try {
    await sink.end();
  } catch (error) {
    await sink.discard();
    throw new StorageFailedError("writing the message", error);
  }
  return { sink, size, sha256: hash.digest("hex"), receivedAt, receivedTime };
}
