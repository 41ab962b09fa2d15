import type { Clock } from "../clock.js";
import type { EventBus } from "../events/bus.js";
import type { BlobStore } from "./blob-store.js";
import type { DuplicateWindow } from "./duplicate-window.js";
import type { MessageIndex } from "./message-index.js";
import type { MessageAuthenticator, MessageParser } from "./message-store.js";
import type { PersistedIndex } from "./persisted-index.js";
import type { SearchText } from "./search-text.js";
import type { Sequencer } from "./sequencer.js";
import type { TaskTracker } from "./task-tracker.js";

/**
 * What the modules of the local store share: where bytes and sidecars live, the in-memory index and
 * its persistence, the sequence, the parser, the bus they announce on, and the work close() waits for.
 * Built once by `openLocalStore`.
 */
export interface StoreParts {
  /** The server's clock: `receivedTime`, the duplicate window. */
  readonly clock: Clock;
  /** Which message a new one repeats (same bytes and envelope, within ten minutes). */
  readonly duplicates: DuplicateWindow;
  readonly parser: MessageParser;
  /** Verifies SPF, DKIM, DMARC and ARC as messages arrive; null when that is off. */
  readonly authenticator: MessageAuthenticator | null;
  readonly bus: EventBus;
  readonly blobs: BlobStore;
  readonly index: MessageIndex;
  readonly persisted: PersistedIndex;
  /** The lowercased visible text of every message, for `text` queries (`search-text.ts`). */
  readonly searchText: SearchText;
  readonly sequencer: Sequencer;
  readonly tasks: TaskTracker;
}
