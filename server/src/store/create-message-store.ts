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
  let blobs: BlobStore;
  let indexStorage: IndexStorage;
  let searchTextStorage: SearchTextStorage;
  try {
    if (config.dataDir === null) {
      blobs = createMemoryBlobStore();
      indexStorage = createMemoryIndexStorage();
      searchTextStorage = createMemorySearchTextStorage();
    } else {
      // The index storage first: it starts reading the summaries snapshot while the blob store takes
      // the lock and opens the segments.
      indexStorage = await createFileIndexStorage(join(config.dataDir, "index"), { prefetchSnapshot: true });
      blobs = await createFileBlobStore(config.dataDir, {
        ...deps.fileStore,
        ...(deps.backgroundWorkAfter ? { backgroundWorkAfter: deps.backgroundWorkAfter } : {}),
      });
      searchTextStorage = await createFileSearchTextStorage(join(config.dataDir, "search"));
    }
  } catch (error) {
    if (config.dataDir !== null) dropDataDirReadAheads(config.dataDir);
    if (isDataDirInUseError(error)) throw error;
    throw new StorageFailedError(`opening the data directory ${JSON.stringify(config.dataDir)}`, error);
  }
  try {
    return await openLocalStore({
      blobs,
      indexStorage,
      searchTextStorage,
      parser: deps.parser,
      authenticator: deps.authenticator ?? null,
      bus: deps.bus,
      clock: deps.clock ?? systemClock,
      policy,
      ...(deps.backgroundWorkAfter ? { backgroundWorkAfter: deps.backgroundWorkAfter } : {}),
    });
  } finally {
    // A read the CLI started (`readAheadDataDir`) that this open had no use for.
    if (config.dataDir !== null) dropDataDirReadAheads(config.dataDir);
  }
}
