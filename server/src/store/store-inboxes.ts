import { normalizeAddress } from "@mailnest/protocol";
import type { InboxInfo } from "./message-store.js";
import type { MessageSummary } from "./model.js";
import type { StoreParts } from "./store-parts.js";
import type { StoreQueries } from "./store-queries.js";
import type { StoreRemoval } from "./store-removal.js";

/**
 * Inboxes: listed while they hold mail or were created through the API. Clearing one removes the
 * messages only it lists; a message also listed elsewhere just leaves this inbox.
 */
export class StoreInboxes {
  readonly #parts: StoreParts;
  readonly #removal: StoreRemoval;
  readonly #queries: Pick<StoreQueries, "served">;

  constructor(parts: StoreParts, removal: StoreRemoval, queries: Pick<StoreQueries, "served">) {
    this.#parts = parts;
    this.#removal = removal;
    this.#queries = queries;
  }

  listInboxes(): InboxInfo[] {
    return this.#parts.index.inboxes();
  }

  getInbox(address: string): InboxInfo | null {
    return this.#parts.index.inbox(normalizeAddress(address));
  }

  /** Registers the inbox; the caller schedules its expiry (`expiresAt`) with the housekeeping. */
  createInbox(address: string, options: { ttlMs?: number } = {}): InboxInfo {
    const { index, persisted, bus } = this.#parts;
    const { ttlMs } = options;
    if (ttlMs !== undefined && !(Number.isFinite(ttlMs) && ttlMs > 0)) {
      throw new TypeError(`Expected ttlMs to be a positive number of milliseconds, got ${ttlMs}`);
    }
    const normalized = normalizeAddress(address);
    if (normalized === "") throw new TypeError("Expected an inbox address, got an empty string");
    const listed = index.inbox(normalized) !== null;
    const existing = index.registration(normalized);
    const now = Date.now();
    const expiresAt =
      ttlMs === undefined ? (existing?.expiresAt ?? null) : new Date(now + ttlMs).toISOString();
    index.register({
      address: normalized,
      createdAt: existing?.createdAt ?? new Date(now).toISOString(),
      expiresAt,
    });
    persisted.markState();
    if (!listed) bus.emit("inbox.created", { address: normalized });
    return index.inbox(normalized)!;
  }

  async clearInbox(address: string): Promise<number> {
    const { index, persisted, bus } = this.#parts;
    const inbox = normalizeAddress(address);
    const messages = [...index.inboxMessages(inbox)];
    const work: Promise<void>[] = [];
    for (const summary of messages) {
      if (summary.inboxes.length <= 1) {
        this.#removal.forget(summary);
        work.push(this.#removal.removeFiles(summary.id));
      } else {
        index.removeFromInbox(summary, inbox);
        persisted.markSequence(summary.sequence);
        bus.emit("message.updated", { message: this.#queries.served(summary) });
        work.push(this.#saveInboxes(summary));
      }
    }
    await Promise.all(work);
    if (messages.length > 0 || index.inbox(inbox) !== null) bus.emit("inbox.cleared", { address: inbox });
    return messages.length;
  }

  async deleteInbox(address: string): Promise<boolean> {
    const { index, persisted, bus } = this.#parts;
    const inbox = normalizeAddress(address);
    if (index.inbox(inbox) === null) return false;
    await this.clearInbox(inbox);
    index.unregister(inbox);
    persisted.markState();
    bus.emit("inbox.deleted", { address: inbox });
    return true;
  }

  /** Keeps the sidecar's inbox list in step, so a rebuilt index does not bring a cleared inbox back. */
  async #saveInboxes(summary: MessageSummary): Promise<void> {
    const { blobs, index } = this.#parts;
    try {
      const sidecar = await blobs.readSidecar(summary.id);
      if (sidecar !== null && index.get(summary.id)) {
        await blobs.writeSidecar({ ...sidecar, inboxes: summary.inboxes });
      }
    } catch (error) {
      console.error(`mailnest: could not update the sidecar of message ${summary.id}:`, error);
    }
  }
}
