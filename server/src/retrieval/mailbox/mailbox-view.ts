import type { EventBus, MailnestEvents } from "../../events/bus.js";
import type { IndexedSummary, MessageStore } from "../../store/message-store.js";
import type { MessageSummary } from "../../store/model.js";
import { listMessages } from "./list-messages.js";
import type { MessageFlags, SystemFlag } from "./message-flags.js";

export interface MailboxDeps {
  store: MessageStore;
  bus: EventBus;
  flags: MessageFlags;
}

/** One message as a session sees it: its position is its message sequence number. */
export interface ViewEntry {
  /** The store's sequence: IMAP UID. */
  readonly uid: number;
  readonly id: string;
  /**
   * The message's summary: the store's own (`store.summary`, whose read flag changes in place), or
   * the one of its latest `message.updated`. Not a page's copy: a session that selects 50,000
   * messages then holds no copy of their summaries.
   */
  summary: IndexedSummary;
  /** The flags the client was last told, joined by spaces. */
  told: string;
  /** Deleted (or taken out of this inbox) elsewhere; still numbered until its EXPUNGE is sent. */
  gone: boolean;
}

export type ViewUpdate =
  | { kind: "expunge"; seq: number }
  | { kind: "exists"; count: number }
  | { kind: "flags"; seq: number; entry: ViewEntry };

type Change =
  | { name: "message.stored"; event: MailnestEvents["message.stored"] }
  | { name: "message.updated"; event: MailnestEvents["message.updated"] }
  | { name: "message.deleted"; event: MailnestEvents["message.deleted"] }
  | { name: "flags"; id: string };

/**
 * A session's view of one folder (an inbox, or all mail): the numbered list of its messages, kept
 * live from the store's events and the shared flags. Changes made elsewhere are queued and handed
 * out by `takeUpdates` when the protocol allows: new mail at any time, expunges only where RFC 3501
 * section 7.4.1 permits them, flag changes the client has not been told yet.
 */
export class MailboxView {
  readonly inbox: string | null;
  readonly #deps: MailboxDeps;
  /** Ascending by UID. */
  #entries: ViewEntry[] = [];
  readonly #byId = new Map<string, ViewEntry>();
  /** Events that arrived while the folder was being listed; applied once it is. */
  #buffered: Change[] | null = [];
  readonly #expunged: ViewEntry[] = [];
  readonly #flagged = new Set<ViewEntry>();
  #existsPending = false;
  readonly #listeners = new Set<() => void>();
  readonly #unsubscribe: Array<() => void>;

  private constructor(deps: MailboxDeps, inbox: string | null) {
    this.#deps = deps;
    this.inbox = inbox;
    // Subscribed before the folder is listed: nothing that happens meanwhile is lost.
    this.#unsubscribe = [
      deps.bus.on("message.stored", (event) => this.#change({ name: "message.stored", event })),
      deps.bus.on("message.updated", (event) => this.#change({ name: "message.updated", event })),
      deps.bus.on("message.deleted", (event) => this.#change({ name: "message.deleted", event })),
      deps.flags.onChange((id) => this.#change({ name: "flags", id })),
    ];
  }

  static async open(deps: MailboxDeps, inbox: string | null): Promise<MailboxView> {
    const view = new MailboxView(deps, inbox);
    try {
      for (const summary of await listMessages(deps.store, inbox)) view.#append(summary);
    } catch (error) {
      view.close();
      throw error;
    }
    const buffered = view.#buffered ?? [];
    view.#buffered = null;
    for (const change of buffered) view.#apply(change, false);
    for (const entry of view.#entries) entry.told = view.flagsOf(entry).join(" ");
    return view;
  }

  /** How many messages the client counts (those gone but not yet expunged included). */
  get size(): number {
    return this.#entries.length;
  }

  /** The entry at message sequence number `seq` (1-based). */
  at(seq: number): ViewEntry | undefined {
    return this.#entries[seq - 1];
  }

  /** Position (0-based) of the entry with `uid`, or of the first with a larger one when absent. */
  indexOfUid(uid: number): number {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#entries[middle]!.uid < uid) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  get highestUid(): number {
    return this.#entries.at(-1)?.uid ?? 0;
  }

  /** UIDNEXT: the store's next sequence (RFC 3501 section 2.3.1.1 asks only that it be larger than any UID here). */
  get uidNext(): number {
    return Math.max(this.#deps.store.head, this.highestUid) + 1;
  }

  flagsOf(entry: ViewEntry): SystemFlag[] {
    return this.#deps.flags.of(entry.summary);
  }

  get unseen(): number {
    return this.#entries.filter((entry) => !entry.summary.read).length;
  }

  /** Sequence number of the first unseen message, or null. */
  get firstUnseen(): number | null {
    const index = this.#entries.findIndex((entry) => !entry.summary.read);
    return index === -1 ? null : index + 1;
  }

  /** Records that the client now knows the entry's current flags (it was sent a FETCH FLAGS). */
  markTold(entry: ViewEntry): void {
    entry.told = this.flagsOf(entry).join(" ");
  }

  /**
   * The message count for `n EXISTS` if the client has not been told it yet, else null. A command
   * that resolves message numbers sends it before it does, so that `*` and every number it answers
   * for are ones the client knows (RFC 3501 sections 2.3.1.2 and 7.3.1); expunges and flags wait
   * for `takeUpdates`.
   */
  takeExists(): number | null {
    if (!this.#existsPending) return null;
    this.#existsPending = false;
    return this.#entries.length;
  }

  /**
   * What changed since the last call, in the order to announce it: expunges (only with
   * `allowExpunge`), then the new message count, then flag changes.
   */
  takeUpdates(allowExpunge: boolean): ViewUpdate[] {
    const updates: ViewUpdate[] = [];
    if (allowExpunge && this.#expunged.length > 0) {
      for (const entry of this.#expunged.splice(0)) {
        const index = this.indexOfUid(entry.uid);
        if (this.#entries[index] !== entry) continue;
        this.#entries.splice(index, 1);
        this.#byId.delete(entry.id);
        this.#flagged.delete(entry);
        updates.push({ kind: "expunge", seq: index + 1 });
      }
    }
    const count = this.takeExists();
    if (count !== null) updates.push({ kind: "exists", count });
    for (const entry of this.#flagged) {
      if (entry.gone) continue;
      const flags = this.flagsOf(entry).join(" ");
      if (flags === entry.told) continue;
      entry.told = flags;
      updates.push({ kind: "flags", seq: this.indexOfUid(entry.uid) + 1, entry });
    }
    this.#flagged.clear();
    return updates;
  }

  /** Whether `takeUpdates` has anything to say. */
  get hasUpdates(): boolean {
    return this.#expunged.length > 0 || this.#existsPending || this.#flagged.size > 0;
  }

  /** Called (synchronously) whenever an update is queued; IDLE uses it. Returns the unsubscribe. */
  onUpdate(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#listeners.clear();
  }

  #change(change: Change): void {
    if (this.#buffered !== null) {
      this.#buffered.push(change);
      return;
    }
    if (this.#apply(change, true)) for (const listener of this.#listeners) listener();
  }

  /** Applies one change; `announce` false while the client has not seen the folder yet. Returns whether it queued an update. */
  #apply(change: Change, announce: boolean): boolean {
    switch (change.name) {
      case "message.stored": {
        const { message } = change.event;
        if (!this.#holds(message) || this.#byId.has(message.id)) return false;
        if (!this.#append(this.#deps.store.summary(message.id) ?? message)) return false;
        if (announce) this.#existsPending = true;
        return announce;
      }
      case "message.deleted":
        return this.#gone(change.event.id, announce);
      case "message.updated": {
        const { message } = change.event;
        if (!this.#holds(message)) return this.#gone(message.id, announce);
        // The event's summary is the message as it is now (its read flag is `\Seen`): the view's
        // own copy came from a page or an earlier event and is not updated in place.
        const entry = this.#byId.get(message.id);
        if (entry && !entry.gone) entry.summary = message;
        return this.#flagsChanged(message.id);
      }
      case "flags":
        return this.#flagsChanged(change.id);
    }
  }

  #holds(summary: MessageSummary): boolean {
    return this.inbox === null || summary.inboxes.includes(this.inbox);
  }

  /** Adds a message at the end; UIDs only grow (the store publishes in sequence order). */
  #append(summary: IndexedSummary): boolean {
    if (summary.sequence <= this.highestUid) return false;
    const entry: ViewEntry = { uid: summary.sequence, id: summary.id, summary, told: "", gone: false };
    this.#entries.push(entry);
    this.#byId.set(entry.id, entry);
    return true;
  }

  #gone(id: string, announce: boolean): boolean {
    const entry = this.#byId.get(id);
    if (!entry || entry.gone) return false;
    if (!announce) {
      this.#entries.splice(this.indexOfUid(entry.uid), 1);
      this.#byId.delete(id);
      return false;
    }
    entry.gone = true;
    this.#expunged.push(entry);
    return true;
  }

  #flagsChanged(id: string): boolean {
    const entry = this.#byId.get(id);
    if (!entry || entry.gone) return false;
    this.#flagged.add(entry);
    return true;
  }
}
