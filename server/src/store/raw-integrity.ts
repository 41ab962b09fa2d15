import { createHash } from "node:crypto";
import { pipeline, Readable, Transform, type TransformCallback } from "node:stream";
import type { RawFingerprint } from "@mailnest/protocol";
import type { BlobStore } from "./blob-store.js";
import { MessageDamagedError } from "./errors.js";
import { hashStream } from "./hash-stream.js";
import { mapConcurrently } from "./map-concurrently.js";

/**
 * Raw messages up to this size are read whole and checked before a byte is handed out, so a damaged
 * one is refused with an error rather than half-served. Larger ones are checked as they stream.
 */
export const VERIFY_WHOLE_LIMIT = 1024 * 1024;
/** Messages a check reads at once. */
const CHECK_CONCURRENCY = 4;

/** Where the raw bytes are read from: a blob store, or the PostgreSQL store's messages table. */
export type RawReader = Pick<BlobStore, "rawSize" | "readRaw">;

/** What ingest recorded of a message's raw bytes (its summary carries these). */
export interface RecordedRaw {
  id: string;
  size: number;
  sha256: string;
}

export interface IntegrityCheck {
  /** Messages whose bytes were read and compared. */
  checked: number;
  /** The ones that differ from what was recorded, oldest first. */
  damaged: MessageDamagedError[];
}

/**
 * Makes what is served what was stored: every raw read is compared with the size and sha256 that
 * ingest recorded, and a message found damaged (truncated or edited on disk, its file lost) is
 * remembered, so health can report it, until a check finds it whole again or it is deleted.
 */
export class RawIntegrity {
  readonly #blobs: RawReader;
  readonly #damaged = new Map<string, MessageDamagedError>();

  constructor(blobs: RawReader) {
    this.#blobs = blobs;
  }

  /** Damaged messages found so far (by reads and checks) that still exist. */
  get damagedCount(): number {
    return this.#damaged.size;
  }

  /** A deleted message is no longer damaged: there is nothing left to serve. */
  forget(id: string): void {
    this.#damaged.delete(id);
  }

  /**
   * The raw bytes, verified. Rejects with `MessageDamagedError` before anything is read when the size
   * differs or the file is gone, and, up to `VERIFY_WHOLE_LIMIT`, when the content differs. A larger
   * message's stream is destroyed with that error at its end instead: a client sees a broken
   * transfer, never a clean end. Null when the message was deleted meanwhile (`exists` says no).
   */
  async read(
    recorded: RecordedRaw,
    exists: () => boolean,
    options: { whole?: boolean } = {},
  ): Promise<Readable | null> {
    const size = await this.#blobs.rawSize(recorded.id);
    const raw = size === recorded.size ? await this.#blobs.readRaw(recorded.id) : null;
    if (raw === null) {
      if (!exists()) return null;
      throw this.#damage(recorded, { size, sha256: null });
    }
    if (options.whole || recorded.size <= VERIFY_WHOLE_LIMIT) {
      const bytes = await readAll(raw);
      const found = { size: bytes.length, sha256: sha256Of(bytes) };
      if (differs(recorded, found)) throw this.#damage(recorded, found);
      return Readable.from([bytes]);
    }
    const verifier = new VerifyingStream(recorded, (found) => this.#damage(recorded, found));
    // Errors of the file stream reach the verifier (and the consumer); a consumer that stops early
    // closes the file.
    return pipeline(raw, verifier, () => {});
  }

  /** Reads one message whole and compares it; null when it is intact (or was deleted meanwhile). */
  async check(recorded: RecordedRaw, exists: () => boolean): Promise<MessageDamagedError | null> {
    const size = await this.#blobs.rawSize(recorded.id);
    const raw = size === recorded.size ? await this.#blobs.readRaw(recorded.id) : null;
    const found: RawFingerprint = raw === null ? { size, sha256: null } : await hashStream(raw);
    if (!exists()) return null;
    if (!differs(recorded, found)) {
      this.#damaged.delete(recorded.id);
      return null;
    }
    return this.#damage(recorded, found);
  }

  /** Checks every message in `messages`, a few at a time. */
  async checkAll(messages: readonly RecordedRaw[], exists: (id: string) => boolean): Promise<IntegrityCheck> {
    let checked = 0;
    const results = await mapConcurrently(messages, CHECK_CONCURRENCY, async (recorded) => {
      const damage = await this.check(recorded, () => exists(recorded.id));
      if (exists(recorded.id)) checked += 1;
      return damage;
    });
    return { checked, damaged: results.filter((damage) => damage !== null) };
  }

  #damage(recorded: RecordedRaw, found: RawFingerprint): MessageDamagedError {
    const error = new MessageDamagedError(
      recorded.id,
      { size: recorded.size, sha256: recorded.sha256 },
      found,
    );
    this.#damaged.set(recorded.id, error);
    return error;
  }
}

/** Passes the bytes through while hashing them; fails at the end (or at the first byte too many). */
class VerifyingStream extends Transform {
  readonly #recorded: RecordedRaw;
  readonly #onDamage: (found: RawFingerprint) => MessageDamagedError;
  readonly #hash = createHash("sha256");
  #size = 0;

  constructor(recorded: RecordedRaw, onDamage: (found: RawFingerprint) => MessageDamagedError) {
    super();
    this.#recorded = recorded;
    this.#onDamage = onDamage;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.length;
    if (this.#size > this.#recorded.size) {
      callback(this.#onDamage({ size: this.#size, sha256: null }));
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const found = { size: this.#size, sha256: this.#hash.digest("hex") };
    callback(differs(this.#recorded, found) ? this.#onDamage(found) : null);
  }
}

function differs(recorded: RecordedRaw, found: RawFingerprint): boolean {
  return found.size !== recorded.size || found.sha256 !== recorded.sha256;
}

function sha256Of(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
