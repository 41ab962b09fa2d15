import type { Readable } from "node:stream";
import { StorageFailedError } from "./errors.js";
import type { IncomingEnvelope, MessageSummary, StoredMessage } from "./model.js";
import { receiveRaw } from "./receive-raw.js";
import { examineReceived, newSidecar } from "./received-message.js";
import { type Sidecar, storedMessage, summaryFromSidecar } from "./sidecar.js";
import type { StoreHousekeeping } from "./store-housekeeping.js";
import type { StoreParts } from "./store-parts.js";
import type { StoreQueries } from "./store-queries.js";

/**
 * The way in: receive the bytes (counted, hashed, size-capped), parse them while the fsync runs,
 * commit message and sidecar, then publish in sequence order: index, cache of recent messages,
 * `message.stored`, retention.
 */
export class StoreIngest {
  readonly #parts: StoreParts;
  readonly #queries: Pick<StoreQueries, "remember">;
  readonly #housekeeping: Pick<StoreHousekeeping, "afterStored">;

  constructor(
    parts: StoreParts,
    queries: Pick<StoreQueries, "remember">,
    housekeeping: Pick<StoreHousekeeping, "afterStored">,
  ) {
    this.#parts = parts;
    this.#queries = queries;
    this.#housekeeping = housekeeping;
  }

  async ingest(raw: Readable, incoming: IncomingEnvelope, maxSize: number): Promise<StoredMessage> {
    const { blobs, sequencer, clock, duplicates } = this.#parts;
    const received = await receiveRaw(raw, blobs, maxSize, clock);
    const { sink } = received;
    // The fsync runs while parsing reads the bytes back (from the page cache); commit awaits it.
    sink.sync().catch(() => {});
    const examined = await examineReceived(this.#parts, received, incoming);
    const sidecar = newSidecar(examined, sequencer.next(), duplicates);
    const { id, sequence } = sidecar;
    try {
      await blobs.commit(sink, id, sidecar);
    } catch (error) {
      duplicates.forget(id);
      void sequencer.settle(sequence, null);
      await sink.discard();
      throw new StorageFailedError("committing the message", error);
    }

    // A fresh copy: strings sliced out of the parsed message (subject, names, snippet) would otherwise
    // keep their whole source strings alive for as long as the summary lives in memory.
    const summary = structuredClone(summaryFromSidecar(sidecar, false));
    await sequencer.settle(sequence, () => this.#publish(summary, sidecar));
    return storedMessage(summary, sidecar);
  }

  /** Runs in sequence order: from here on the message is visible to get/list/waiters. */
  #publish(summary: MessageSummary, sidecar: Sidecar): void {
    const { index, persisted, bus } = this.#parts;
    index.add(summary);
    persisted.markSequence(summary.sequence);
    persisted.markState();
    this.#queries.remember(sidecar);
    bus.emit("message.stored", { message: summary });
    this.#housekeeping.afterStored();
  }
}
