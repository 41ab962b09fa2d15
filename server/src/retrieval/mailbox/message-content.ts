import type { Readable } from "node:stream";
import type { MessageStore } from "../../store/message-store.js";
import { type HeaderBlock, MAX_HEADER_BYTES, readHeaderBlock } from "../mime/header-block.js";
import { type MimePart, parseMimeTree } from "../mime/mime-tree.js";

export interface ParsedMessage {
  raw: Buffer;
  root: MimePart;
}

export interface MessageHeader {
  /** The bytes up to and including the empty line (or all of them when there is none). */
  raw: Buffer;
  block: HeaderBlock;
}

/** Bytes of whole messages kept for the next FETCH (clients fetch a message's parts one by one). */
const RAW_CACHE_BYTES = 64 * 1024 * 1024;
/** Bytes of header blocks kept (a client's first sync asks every message's header once or twice). */
const HEADER_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Reads message bytes from the store for the retrieval servers: whole messages (with their MIME
 * tree) and header blocks alone (a header fetch reads only the start of the file). Small LRU caches,
 * shared by every session; concurrent reads of one message share one read.
 */
export class MessageContent {
  readonly #store: MessageStore;
  readonly #parsed = new Lru<ParsedMessage>(RAW_CACHE_BYTES, (entry) => entry.raw.length);
  readonly #headers = new Lru<MessageHeader>(HEADER_CACHE_BYTES, (entry) => entry.raw.length);
  readonly #reading = new Map<string, Promise<unknown>>();

  constructor(store: MessageStore) {
    this.#store = store;
  }

  /** The exact bytes and MIME tree of a message, or null when it is gone. */
  parsed(id: string): Promise<ParsedMessage | null> {
    if (this.#gone(id)) return Promise.resolve(null);
    const cached = this.#parsed.get(id);
    if (cached) return Promise.resolve(cached);
    return this.#once(`p:${id}`, async () => {
      const raw = await readStream(await this.#store.readRaw(id), Number.POSITIVE_INFINITY);
      if (raw === null) return null;
      const parsed = { raw, root: parseMimeTree(raw) };
      this.#parsed.set(id, parsed);
      return parsed;
    });
  }

  /** The top-level header block, read without the body when the whole message is not cached. */
  header(id: string): Promise<MessageHeader | null> {
    if (this.#gone(id)) return Promise.resolve(null);
    const whole = this.#parsed.get(id);
    if (whole) {
      return Promise.resolve({
        raw: whole.raw.subarray(0, whole.root.header.bodyStart),
        block: whole.root.header,
      });
    }
    const cached = this.#headers.get(id);
    if (cached) return Promise.resolve(cached);
    return this.#once(`h:${id}`, async () => {
      const raw = await readStream(await this.#store.readRaw(id), MAX_HEADER_BYTES, endOfHeader);
      if (raw === null) return null;
      const block = readHeaderBlock(raw, 0, raw.length);
      const header = { raw: raw.subarray(0, block.bodyStart), block };
      this.#headers.set(id, header);
      return header;
    });
  }

  /**
   * A message deleted since it was cached (by another session, the API, retention) is gone here too:
   * the cache must not outlive it, or a POP3 session would still RETR what another one deleted.
   */
  #gone(id: string): boolean {
    if (this.#store.summary(id) !== null) return false;
    this.#parsed.delete(id);
    this.#headers.delete(id);
    return true;
  }

  #once<T>(key: string, read: () => Promise<T>): Promise<T> {
    const running = this.#reading.get(key);
    if (running) return running as Promise<T>;
    const task = read().finally(() => this.#reading.delete(key));
    this.#reading.set(key, task);
    return task;
  }
}

/** Position just after the empty line that ends a header, or -1 while it has not arrived. */
function endOfHeader(bytes: Buffer): number {
  // A message may start with the empty line (no header at all).
  if (bytes[0] === 0x0a) return 1;
  if (bytes[0] === 0x0d && bytes[1] === 0x0a) return 2;
  const crlf = bytes.indexOf("\r\n\r\n");
  const lf = bytes.indexOf("\n\n");
  if (crlf === -1) return lf === -1 ? -1 : lf + 2;
  if (lf === -1) return crlf + 4;
  return Math.min(crlf + 4, lf + 2);
}

/**
 * Reads a stream into one buffer; with `stopAt`, stops (and destroys the stream) as soon as it
 * finds where to stop or `limit` bytes were read.
 */
async function readStream(
  stream: Readable | null,
  limit: number,
  stopAt?: (bytes: Buffer) => number,
): Promise<Buffer | null> {
  if (stream === null) return null;
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      chunks.push(bytes);
      length += bytes.length;
      if (stopAt) {
        const joined = Buffer.concat(chunks);
        const end = stopAt(joined);
        if (end !== -1) return joined.subarray(0, end);
        chunks.splice(0, chunks.length, joined);
      }
      if (length >= limit) return Buffer.concat(chunks).subarray(0, limit);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}

/** Least recently used first out, bounded by a total `weight`. */
class Lru<T> {
  readonly #entries = new Map<string, T>();
  readonly #capacity: number;
  readonly #weigh: (value: T) => number;
  #weight = 0;

  constructor(capacity: number, weigh: (value: T) => number) {
    this.#capacity = capacity;
    this.#weigh = weigh;
  }

  get(key: string): T | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  delete(key: string): void {
    const old = this.#entries.get(key);
    if (old === undefined) return;
    this.#weight -= this.#weigh(old);
    this.#entries.delete(key);
  }

  set(key: string, value: T): void {
    const weight = this.#weigh(value);
    if (weight > this.#capacity) return;
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#weight -= this.#weigh(old);
      this.#entries.delete(key);
    }
    this.#entries.set(key, value);
    this.#weight += weight;
    for (const [oldest, entry] of this.#entries) {
      if (this.#weight <= this.#capacity) break;
      this.#entries.delete(oldest);
      this.#weight -= this.#weigh(entry);
    }
  }
}
