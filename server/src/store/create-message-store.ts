import { join } from "node:path";
import type { EventBus } from "../events/bus.js";
import type { BlobStore } from "./blob-store.js";
import { isDataDirInUseError, StorageFailedError } from "./errors.js";
import { createFileBlobStore, type FileBlobStoreOptions } from "./file-blob-store.js";
import { createFileIndexStorage, createMemoryIndexStorage } from "./index-storage.js";
import { LocalMessageStore } from "./local-message-store.js";
import { createMemoryBlobStore } from "./memory-blob-store.js";
import { MessageIndex } from "./message-index.js";
import type { MessageParser, MessageStore } from "./message-store.js";
import { PersistedIndex, SHARD_SIZE } from "./persisted-index.js";
import { reconcile } from "./reconcile.js";
import { Sequencer } from "./sequencer.js";

export interface MessageStoreOptions {
  /** null = in memory (`--in-memory`): nothing touches the disk. */
  dataDir: string | null;
  parser: MessageParser;
  bus: EventBus;
  maxMessages: number;
  /** null = keep forever. */
  maxAgeMs: number | null;
  /** Tuning of the on-disk store (buffer limit, write-ahead-log segments); tests shrink it. */
  fileStore?: FileBlobStoreOptions;
}

/**
 * Opens (and reconciles) the store: `.eml` files + sidecars as the truth, a sharded lowdb index,
 * every summary in memory. See docs/storage.md.
 */
export async function createMessageStore(options: MessageStoreOptions): Promise<MessageStore> {
  const index = new MessageIndex();
  let sequencer: Sequencer | null = null;
  const source = {
    summariesInShard: (shard: number) => index.range(shard * SHARD_SIZE, (shard + 1) * SHARD_SIZE),
    state: () => ({ lastSequence: sequencer?.head ?? 0, inboxes: index.registrations() }),
  };
  let blobs: BlobStore;
  let persisted: PersistedIndex;
  try {
    if (options.dataDir === null) {
      blobs = createMemoryBlobStore();
      persisted = new PersistedIndex(createMemoryIndexStorage(), source);
    } else {
      blobs = await createFileBlobStore(options.dataDir, options.fileStore);
      persisted = new PersistedIndex(await createFileIndexStorage(join(options.dataDir, "index")), source);
    }
  } catch (error) {
    if (isDataDirInUseError(error)) throw error;
    throw new StorageFailedError(`opening the data directory ${JSON.stringify(options.dataDir)}`, error);
  }

  const { summaries, state } = await reconcile(blobs, persisted, options.parser);
  for (const summary of summaries) index.add(summary);
  for (const registration of state.inboxes) index.register(registration);
  sequencer = new Sequencer(state.lastSequence);
  const store = new LocalMessageStore(options, blobs, persisted, index, sequencer);
  // Write what reconciliation repaired, then start the periodic flushes.
  persisted.start();
  await persisted.flush();
  store.sweep();
  return store;
}
