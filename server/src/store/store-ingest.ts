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

  /** Messages from the start of their DATA until they are stored (or refused). */
  #inFlight = 0;

  async ingest(raw: Readable, incoming: IncomingEnvelope, maxSize: number): Promise<StoredMessage> {
    this.#inFlight += 1;
    try {
      return await this.#ingest(raw, incoming, maxSize);
    } finally {
      this.#inFlight -= 1;
    }
  }

  async #ingest(raw: Readable, incoming: IncomingEnvelope, maxSize: number): Promise<StoredMessage> {
    const { blobs, sequencer, clock, duplicates } = this.#parts;
    const received = await receiveRaw(raw, blobs, maxSize, clock);
    const { sink } = received;
    // The fsync runs while parsing reads the bytes back (from the page cache); commit awaits it.
    sink.sync().catch(() => {});
    const examined = await examineReceived(this.#parts, received, incoming);
    const sidecar = newSidecar(examined, sequencer.next(), duplicates);
    const { id, sequence } = sidecar;
    try {
      // Alone: no other message is being received or committed, so none waits for the event loop.
      await blobs.commit(sink, id, sidecar, { alone: this.#inFlight === 1 });
    } catch (error) {
      duplicates.forget(id);
      void sequencer.settle(sequence, null);
      await sink.discard();
      throw new StorageFailedError("committing the message", error);
    }

    // Not copied (a structuredClone cost about 19 µs a message): the snippet is a copy already
    // (`makeSnippet`), the other strings come from header values no larger than themselves, and the
    // lists and addresses shared with the parsed view are replaced by the index's own frozen copies
    // before anyone reads the summary (`SummaryInterner.compact`, first in `MessageIndex.add`).
    // The index keeps it without the snippet, which goes to the search text (`StoreQueries.served`).
    const summary = summaryFromSidecar(sidecar, false);
    await sequencer.settle(sequence, () => this.#publish(summary, sidecar));
    return storedMessage(summary, sidecar);
  }

  /** Runs in sequence order: from here on the message is visible to get/list/waiters. */
  #publish(summary: MessageSummary, sidecar: Sidecar): void {
    const { index, persisted, bus } = this.#parts;
    // A spread keeps the summary's fields in place; `Object.assign({}, summary, …)` made
    // dictionary-mode objects here, twice the heap each.
    index.add({ ...summary, snippet: "" });
    persisted.markSequence(summary.sequence);
    persisted.markState();
    this.#queries.remember(sidecar, summary.snippet);
    bus.emit("message.stored", { message: summary });
    this.#housekeeping.afterStored();
  }
}
