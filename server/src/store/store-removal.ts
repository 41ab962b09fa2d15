import type { RemoveOptions } from "./blob-store.js";
import { MESSAGE_ID_PATTERN, type MessageSummary } from "./model.js";
import type { StoreParts } from "./store-parts.js";
import type { StoreQueries } from "./store-queries.js";

/**
 * How a message leaves: out of the index (and so out of every list and cache) and announced at
 * once, its files removed after. Used by deletes, inbox clears and retention.
 */
export class StoreRemoval {
  readonly #parts: StoreParts;
  readonly #queries: Pick<StoreQueries, "forget">;

  constructor(parts: StoreParts, queries: Pick<StoreQueries, "forget">) {
    this.#parts = parts;
    this.#queries = queries;
  }

  async deleteMessage(id: string): Promise<boolean> {
    const summary = MESSAGE_ID_PATTERN.test(id) ? this.#parts.index.get(id) : undefined;
    if (!summary) return false;
    this.forget(summary);
    await this.removeFiles(id);
    return true;
  }

  async deleteAll(): Promise<number> {
    const all = [...this.#parts.index.all()];
    for (const summary of all) this.forget(summary);
    await Promise.all(all.map((summary) => this.removeFiles(summary.id)));
    return all.length;
  }

  /**
   * Retention: forgets the message now and removes its files in the background (close() waits for
   * them). Deferred (`RemoveOptions`): a crash may bring the message back, and the start's sweep then
   * removes it again, before the store serves anything.
   */
  discard(summary: MessageSummary): void {
    this.forget(summary);
    this.#parts.tasks.track(this.removeFiles(summary.id, { deferred: true }));
  }

  /** Takes a message out of the index (and so out of every list) and announces it. */
  forget(summary: MessageSummary): void {
    const { index, persisted, bus } = this.#parts;
    if (index.remove(summary.id) === null) return;
    this.#queries.forget(summary);
    persisted.markSequence(summary.sequence);
    bus.emit("message.deleted", { id: summary.id, inboxes: summary.inboxes });
  }

  async removeFiles(id: string, options?: RemoveOptions): Promise<void> {
    try {
      await this.#parts.blobs.remove(id, options);
    } catch (error) {
      // Already gone from the index; a leftover file is re-added at the next startup, at worst.
      console.error(`mailnest: could not delete the files of message ${id}:`, error);
    }
  }
}
