import { join } from "node:path";
import { type Clock, systemClock } from "../clock.js";
import type { MailnestConfig } from "../config.js";
import type { EventBus } from "../events/bus.js";
import type { BlobStore } from "./blob-store.js";
import { isDataDirInUseError, StorageFailedError } from "./errors.js";
import { createFileBlobStore, type FileBlobStoreOptions } from "./file-blob-store.js";
import { createFileIndexStorage, createMemoryIndexStorage, type IndexStorage } from "./index-storage.js";
import { openLocalStore } from "./local-message-store.js";
import { createMemoryBlobStore } from "./memory-blob-store.js";
import type { MessageAuthenticator, MessageParser, MessageStore } from "./message-store.js";
import { SNAPSHOT_REFRESH, type SnapshotRefreshPolicy } from "./persisted-index.js";
import { dropDataDirReadAheads } from "./read-ahead.js";
import {
  createFileSearchTextStorage,
  createMemorySearchTextStorage,
  type SearchTextStorage,
} from "./search-text-storage.js";

/**
 * What the store reads of the configuration: where to keep mail (a PostgreSQL database; else a data
 * directory, null = in memory) and for how long.
 */
export type StoreConfig = Pick<MailnestConfig, "dataDir" | "maxMessages" | "maxAgeMs"> &
  Partial<Pick<MailnestConfig, "databaseUrl">>;

export interface StoreDeps {
  parser: MessageParser;
  bus: EventBus;
  /** The server's clock (`receivedTime`); the system's unless a test skews it. */
  clock?: Clock;
  /** Verifies SPF, DKIM, DMARC and ARC of each message as it is stored; absent = not verified. */
  authenticator?: MessageAuthenticator | null;
  /** Tuning of the on-disk store (buffer limit, write-ahead-log segments); tests shrink it. */
  fileStore?: FileBlobStoreOptions;
  /**
   * Background work of opening (loading the search text of `text` queries) waits for this, so it
   * does not compete with the rest of startup; until then queries read sidecars. Absent: at once.
   */
  backgroundWorkAfter?: Promise<void>;
  /** When a data directory's index replaces its summaries snapshot while running; tests shrink it. */
  snapshotRefresh?: SnapshotRefreshPolicy;
}

/**
 * Opens the PostgreSQL store when `databaseUrl` is set (docs/scaling.md). Otherwise opens (and
 * reconciles) the embedded store: `.eml` files + sidecars as the truth, a sharded lowdb index,
 * every summary in memory; or all of it in memory when `dataDir` is null (`--in-memory`).
 * See docs/storage.md.
 */
export async function createMessageStore(config: StoreConfig, deps: StoreDeps): Promise<MessageStore> {
  const policy = { maxMessages: Math.max(1, config.maxMessages), maxAgeMs: config.maxAgeMs };
  if (config.databaseUrl != null) {
    // Several instances on one database act as one sandbox (docs/scaling.md); the data dir, if
    // any, is not the store's.
    // Loaded only when asked for: the embedded store's startup does not pay for the client.
    const { openPostgresStore } = await import("./postgres/postgres-message-store.js");
    return openPostgresStore(config.databaseUrl, {
      parser: deps.parser,
      bus: deps.bus,
      clock: deps.clock ?? systemClock,
      authenticator: deps.authenticator ?? null,
      policy,
    });
  }
  try {
    return await openLocalStore({
      ...(await openStorage(config.dataDir, deps)),
      parser: deps.parser,
      authenticator: deps.authenticator ?? null,
      bus: deps.bus,
      clock: deps.clock ?? systemClock,
      policy,
      ...(deps.backgroundWorkAfter ? { backgroundWorkAfter: deps.backgroundWorkAfter } : {}),
      // In memory nothing survives the process, so there is no start to spare.
      ...(config.dataDir !== null ? { snapshotRefresh: deps.snapshotRefresh ?? SNAPSHOT_REFRESH } : {}),
    });
  } finally {
    // A read the CLI started (`readAheadDataDir`) that this open had no use for, or never got to.
    if (config.dataDir !== null) dropDataDirReadAheads(config.dataDir);
  }
}

/** Where the embedded store keeps messages, index and search text: `dataDir`, or memory for null. */
async function openStorage(
  dataDir: string | null,
  deps: StoreDeps,
): Promise<{ blobs: BlobStore; indexStorage: IndexStorage; searchTextStorage: SearchTextStorage }> {
  if (dataDir === null) {
    return {
      blobs: createMemoryBlobStore(),
      indexStorage: createMemoryIndexStorage(),
      searchTextStorage: createMemorySearchTextStorage(),
    };
  }
  try {
    // The index storage first: it starts reading the summaries snapshot while the blob store takes
    // the lock and opens the segments.
    const indexStorage = await createFileIndexStorage(join(dataDir, "index"), { prefetchSnapshot: true });
    const blobs = await createFileBlobStore(dataDir, {
      ...deps.fileStore,
      ...(deps.backgroundWorkAfter ? { backgroundWorkAfter: deps.backgroundWorkAfter } : {}),
    });
    const searchTextStorage = await createFileSearchTextStorage(join(dataDir, "search"));
    return { blobs, indexStorage, searchTextStorage };
  } catch (error) {
    if (isDataDirInUseError(error)) throw error;
    throw new StorageFailedError(`opening the data directory ${JSON.stringify(dataDir)}`, error);
  }
}
