import type { EventBus, EventMeta } from "../../events/bus.js";
import type { DuplicateWindow } from "../duplicate-window.js";
import { type InboxRegistration, MessageIndex } from "../message-index.js";
import type { MessageSummary } from "../model.js";
import type { ChangeOp } from "./change-log.js";
import type { Snapshot } from "./rows.js";

/** The rows a batch of changes refers to, read after the changes themselves. */
export interface ChangeRows {
  /** Stored messages by sequence (absent: deleted since). */
  stored: Map<number, MessageSummary>;
  /** Current read flag and inboxes of updated messages (absent: deleted since). */
  updated: Map<string, { read: boolean; inboxes: string[] }>;
  /** Current registrations (null: deleted since). */
  registrations: Map<string, InboxRegistration | null>;
}

/** What the store does beside the index when the replica changes. */
export interface ReplicaHooks {
  /** A message left: drop it from caches. */
  forgotten(id: string): void;
  /** Messages arrived (the retention deadline may be new). */
  stored(): void;
  /** An inbox was registered (its TTL needs a timer). */
  registered(registration: InboxRegistration): void;
}

/**
 * This instance's copy of what every instance committed: summaries and inbox registrations in a
 * `MessageIndex`, the visible `head` and the change-log cursor. It changes only by applying the
 * change log in order (`change-feed.ts`), and announces each change on this instance's bus, so
 * waits, WebSockets and IDLE sessions wake for mail that any instance received. The only exception
 * is `createInbox`, which registers here at once (the contract is synchronous) and writes through.
 *
 * Each announcement says where the change was made (`EventOrigin`): "here" when the change log names
 * this replica's `instance` as its writer, "elsewhere" otherwise. The writer's id travels in the
 * committed row itself, so it cannot race: a set of "change numbers I wrote" could not, since the
 * notification may apply a change before its writer's COMMIT returns the number to it.
 */
const HERE: EventMeta = Object.freeze({ origin: "here" });
const ELSEWHERE: EventMeta = Object.freeze({ origin: "elsewhere" });

export class Replica {
  readonly index = new MessageIndex();
  /** This instance's id, written with every change it commits (`appendChange`). */
  readonly instance: string;
  readonly #bus: EventBus;
  readonly #duplicates: DuplicateWindow;
  readonly #hooks: ReplicaHooks;
  #head = 0;
  #cursor = 0;

  constructor(bus: EventBus, duplicates: DuplicateWindow, instance: string, hooks: ReplicaHooks) {
    this.instance = instance;
    this.#bus = bus;
    this.#duplicates = duplicates;
    this.#hooks = hooks;
  }

  /** The highest sequence visible here: every message at or below it that exists is in the index. */
  get head(): number {
    return this.#head;
  }

  /** The last change applied. */
  get cursor(): number {
    return this.#cursor;
  }

  /** At open: takes the snapshot as it is, announcing nothing. */
  load(snapshot: Snapshot, now: number): void {
    for (const summary of snapshot.summaries) this.index.add(summary);
    for (const registration of snapshot.registrations) this.index.register(registration);
    this.#duplicates.rebuild(snapshot.summaries, now);
    this.#duplicates.settle();
    this.#head = snapshot.head;
    this.#cursor = snapshot.change;
  }

  /**
   * After the change log was pruned past this replica's cursor (it was away too long): becomes the
   * snapshot, announcing the difference as if each change had been applied. Who made those changes
   * is not known any more: they are announced as made "elsewhere" (this instance's own writes wait
   * for their change to be applied before they answer, so they are not among them).
   */
  replace(snapshot: Snapshot): void {
    const fresh = new Map(snapshot.summaries.map((summary) => [summary.id, summary]));
    const removed = this.index.all().filter((summary) => !fresh.has(summary.id));
    for (const summary of removed) this.#remove(summary.id, ELSEWHERE);
    const registered = new Set(snapshot.registrations.map((registration) => registration.address));
    for (const registration of this.index.registrations()) {
      if (!registered.has(registration.address)) this.#unregister(registration.address, ELSEWHERE);
    }
    for (const registration of snapshot.registrations) this.#register(registration, ELSEWHERE);
    // Raised first, so a listener of the announcements below finds each message within `head`.
    this.#head = Math.max(this.#head, snapshot.head);
    let added = false;
    for (const summary of snapshot.summaries) {
      if (this.index.get(summary.id)) this.#update(summary.id, summary, ELSEWHERE);
      else {
        this.#add(summary, ELSEWHERE);
        added = true;
      }
    }
    this.#cursor = snapshot.change;
    if (added) this.#hooks.stored();
  }

  /**
   * Applies one committed change; `change` must be `cursor + 1`. `writer`: the instance that
   * committed it (null for changes logged before writers were: announced as "elsewhere").
   */
  apply(change: number, ops: readonly ChangeOp[], rows: ChangeRows, writer: string | null): void {
    if (change !== this.#cursor + 1) {
      throw new Error(`change ${change} applied after ${this.#cursor}: the change log has a gap`);
    }
    const meta = writer === this.instance ? HERE : ELSEWHERE;
    let stored = false;
    for (const op of ops) {
      switch (op.op) {
        case "stored":
          for (let sequence = op.from; sequence <= op.to; sequence++) {
            // Raised before the announcement, so a listener reading `head` finds this message in it.
            this.#head = Math.max(this.#head, sequence);
            const summary = rows.stored.get(sequence);
            if (summary && !this.index.get(summary.id)) {
              this.#add(summary, meta);
              stored = true;
            }
          }
          this.#head = Math.max(this.#head, op.to);
          break;
        case "deleted":
          for (const id of op.ids) this.#remove(id, meta);
          break;
        case "updated":
          for (const id of op.ids) {
            const current = rows.updated.get(id);
            if (current) this.#update(id, current, meta);
          }
          break;
        case "registered": {
          const registration = rows.registrations.get(op.address);
          if (registration) this.#register(registration, meta);
          break;
        }
        case "cleared":
          this.#bus.emit("inbox.cleared", { address: op.address }, meta);
          break;
        case "unregistered":
          this.#unregister(op.address, meta);
          break;
      }
    }
    this.#cursor = change;
    if (stored) this.#hooks.stored();
  }

  /** `createInbox`: registered here before PostgreSQL has it (written through by the caller). */
  registerNow(registration: InboxRegistration): void {
    this.#register(registration, HERE);
  }

  #add(summary: MessageSummary, meta: EventMeta): void {
    this.index.add(summary);
    // Mail stored by another instance counts for duplicate detection here too (the claim is a no-op
    // for this instance's own messages, which it claimed while storing them).
    if (summary.duplicateOf === null) {
      this.#duplicates.claim(summary.id, summary.receivedTime, summary);
    }
    this.#bus.emit("message.stored", { message: summary }, meta);
  }

  #remove(id: string, meta: EventMeta): void {
    const summary = this.index.remove(id);
    if (summary === null) return;
    this.#hooks.forgotten(id);
    this.#bus.emit("message.deleted", { id, inboxes: summary.inboxes }, meta);
  }

  #update(id: string, current: { read: boolean; inboxes: readonly string[] }, meta: EventMeta): void {
    const summary = this.index.get(id);
    if (!summary) return;
    let changed = false;
    for (const inbox of summary.inboxes.filter((address) => !current.inboxes.includes(address))) {
      this.index.removeFromInbox(summary, inbox);
      changed = true;
    }
    if (this.index.setRead(summary, current.read)) changed = true;
    if (changed) this.#bus.emit("message.updated", { message: summary }, meta);
  }

  #register(registration: InboxRegistration, meta: EventMeta): void {
    const listed = this.index.inbox(registration.address) !== null;
    this.index.register(registration);
    this.#hooks.registered(registration);
    if (!listed) this.#bus.emit("inbox.created", { address: registration.address }, meta);
  }

  /** The writer includes this op only for an inbox that was listed, so it is always announced. */
  #unregister(address: string, meta: EventMeta): void {
    this.index.unregister(address);
    this.#bus.emit("inbox.deleted", { address }, meta);
  }
}
