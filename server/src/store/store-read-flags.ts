import { normalizeAddress } from "@mailnest/protocol";
import type { MessageSummary } from "./model.js";
import type { StoreParts } from "./store-parts.js";
import type { StoreQueries } from "./store-queries.js";

/** Read flags live in the index (and its persisted shards), never in the sidecars. */
export class StoreReadFlags {
  readonly #parts: StoreParts;
  readonly #queries: Pick<StoreQueries, "served">;

  constructor(parts: StoreParts, queries: Pick<StoreQueries, "served">) {
    this.#parts = parts;
    this.#queries = queries;
  }

  async setRead(id: string, read: boolean): Promise<MessageSummary | null> {
    const summary = this.#parts.index.get(id);
    if (!summary) return null;
    this.#mark(summary, read);
    return this.#queries.served(summary);
  }

  /** `address` null = every message. Returns how many changed. */
  async setInboxRead(address: string | null, read: boolean): Promise<number> {
    const { index } = this.#parts;
    const messages = address === null ? index.all() : index.inboxMessages(normalizeAddress(address));
    let changed = 0;
    for (const summary of [...messages]) {
      if (this.#mark(summary, read)) changed += 1;
    }
    return changed;
  }

  #mark(summary: MessageSummary, read: boolean): boolean {
    if (!this.#parts.index.setRead(summary, read)) return false;
    this.#parts.persisted.markSequence(summary.sequence);
    this.#parts.bus.emit("message.updated", { message: this.#queries.served(summary) });
    return true;
  }
}
