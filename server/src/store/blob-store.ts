import type { Readable } from "node:stream";
import type { RawSource } from "./model.js";
import type { Sidecar } from "./sidecar.js";

/**
 * Where message bytes and sidecars live: files (`file-blob-store.ts`) or memory
 * (`memory-blob-store.ts`). Ids reaching these methods have been checked against
 * `MESSAGE_ID_PATTERN`, so they are safe as file names.
 */
export interface BlobStore {
  /** Starts receiving one raw message (in memory, or into a temporary file once it is large). */
  createSink(): Promise<RawSink>;
  /**
   * Makes the message durable under `id` and readable: a write-ahead-log record for a buffered
   * message, or (for a large one) the temp file's fsync, the sidecar, and the rename into place. On
   * failure nothing of `id` is left behind (and nothing a restart could replay); the sink is still
   * to be discarded.
   */
  commit(sink: RawSink, id: string, sidecar: Sidecar, options?: CommitOptions): Promise<void>;
  readRaw(id: string): Promise<Readable | null>;
  /** The size in bytes of the raw message as stored now, or null when it is missing. */
  rawSize(id: string): Promise<number | null>;
  /** null when missing or unreadable (torn, edited by hand). */
  readSidecar(id: string): Promise<Sidecar | null>;
  /**
   * The same, read without yielding: for the rare summary whose snippet the search text cannot give
   * when an event must carry it at once (`StoreQueries.served`). A sidecar is a few KB, read from a
   * segment or its own file.
   */
  readSidecarSync(id: string): Sidecar | null;
  /** Whether the sidecar is there (false when it cannot be seen either), without reading it. */
  hasSidecar(id: string): Promise<boolean>;
  /** Replaces the sidecar of a committed message, atomically. */
  writeSidecar(sidecar: Sidecar): Promise<void>;
  /**
   * Removes the raw bytes first (so a crash mid-way cannot resurrect the message), then the sidecar.
   * On disk, a message still in the write-ahead log gets a durable tombstone before either goes.
   */
  remove(id: string, options?: RemoveOptions): Promise<void>;
  /** Startup: removes temporary files and lists what is committed. */
  scan(): Promise<BlobScan>;
  /**
   * Whether the last close was clean and made everything under the data directory durable (log
   * checkpointed; files and the index, flushed before that close, synced) and nothing was replayed
   * at this start. The index as flushed then is trustworthy, so startup need not list the files.
   * Known once the store is open; always false in memory.
   */
  readonly cleanShutdown: boolean;
  /**
   * `indexDurable`: the index's last flush wrote everything (no write failed since, a full disk
   * say). Only then may the close vouch for it to the next start; without it the next start lists
   * the files, as after a crash.
   */
  close(options?: { indexDurable: boolean }): Promise<void>;
}

export interface BlobScan {
  /** Ids with raw bytes: the messages that exist. */
  raw: IdSet;
  /** Ids with a sidecar but no raw bytes (what a crash between a sidecar's write and its commit left). */
  orphanSidecars: ReadonlySet<string>;
}

/** The read side of a set of ids: a view, so a store need not copy its 70,000 ids into a new Set. */
export interface IdSet extends Iterable<string> {
  has(id: string): boolean;
}

/** A message being received. */
export interface RawSink {
  /** May buffer; call `end` once all chunks are written. */
  write(chunk: Buffer): Promise<void>;
  /** Hands every buffered byte to the OS, so `read` sees the whole message. */
  end(): Promise<void>;
  /**
   * Makes the bytes durable (fsync) and releases the file; the same promise on every call. Started
   * right after `end` so it overlaps parsing; `commit` waits for it before the commit point.
   */
  sync(): Promise<void>;
  /** The bytes written so far, for parsing before the commit. */
  read(): Readable;
  /** Where the bytes are, once `end` resolved: for a parser that reads them on another thread. */
  source(): RawSource;
  /** Drops the message; safe to call at any point and more than once. */
  discard(): Promise<void>;
}

export interface RemoveOptions {
  /**
   * The caller removes the message again if a crash brings it back (retention, at the next start):
   * its deletion need not be durable before this resolves, nor cost a disk flush of its own
   * (`MessageSegments.remove`).
   */
  deferred?: boolean;
}

export interface CommitOptions {
  /**
   * No other message is being received: the store may make this one durable on the event loop, which
   * answers a lone client sooner (`MessageSegments.appendMessage`).
   */
  alone?: boolean;
}
