import { Readable } from "node:stream";
import type { RawSink } from "./blob-store.js";
import type { RawSource } from "./model.js";

/**
 * Receives a message in memory while it stays under `limit` bytes, so it can be parsed from the
 * buffer and committed through the write-ahead log without a temp file. The first chunk past the
 * limit moves everything into a file sink from `spill` (large messages keep the temp-file path and
 * the memory bound that comes with it).
 */
export class BufferedSink implements RawSink {
  readonly #limit: number;
  readonly #spill: () => Promise<RawSink>;
  #chunks: Buffer[] = [];
  #size = 0;
  #bytes: Buffer | null = null;
  #file: RawSink | null = null;

  constructor(limit: number, spill: () => Promise<RawSink>) {
    this.#limit = limit;
    this.#spill = spill;
  }

  /** The sink holding the bytes on disk, once the message outgrew the buffer. */
  get file(): RawSink | null {
    return this.#file;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.#file !== null) return this.#file.write(chunk);
    if (this.#size + chunk.length <= this.#limit) {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
      return;
    }
    const file = await this.#spill();
    this.#file = file;
    const buffered = this.#chunks;
    this.#chunks = [];
    for (const piece of buffered) await file.write(piece);
    await file.write(chunk);
  }

  async end(): Promise<void> {
    if (this.#file !== null) return this.#file.end();
    // A message that came in one chunk is kept as that chunk: a copy was one more native buffer per
    // message for the garbage collector to free (see `RecordEncoder`).
    const chunks = this.#chunks;
    this.#bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size);
    this.#chunks = [];
  }

  sync(): Promise<void> {
    return this.#file?.sync() ?? Promise.resolve();
  }

  read(): Readable {
    return this.#file?.read() ?? Readable.from([this.bytes()]);
  }

  source(): RawSource {
    return this.#file?.source() ?? { kind: "bytes", bytes: this.bytes() };
  }

  /** The whole message, for a sink that stayed in memory. */
  bytes(): Buffer {
    if (this.#bytes === null) throw new Error("BufferedSink read before end() or after spilling to a file");
    return this.#bytes;
  }

  async discard(): Promise<void> {
    this.#chunks = [];
    this.#bytes = null;
    await this.#file?.discard();
  }
}
