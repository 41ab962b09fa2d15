import { EventEmitter } from "node:events";
import type { EventBus } from "../../events/bus.js";
import type { SharedMessageFlags, VolatileFlag } from "../../store/message-store.js";
import type { MessageSummary } from "../../store/model.js";

/** The system flags a retrieval client can set (RFC 3501 section 2.3.2); \Recent is never set. */
export const SYSTEM_FLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"] as const;
export type SystemFlag = (typeof SYSTEM_FLAGS)[number];

/**
 * The flags of every message as IMAP sees them. `\Seen` is the store's `read` (one state for IMAP,
 * POP3, the API and the viewer). The others (`\Flagged`, `\Answered`, `\Draft`, `\Deleted`) have no
 * place in the store: they are kept here, in memory, shared by every session of the process, and
 * lost at a restart; with `shared` (PostgreSQL) they are the sandbox's, kept in the database, and
 * this is every instance's copy. A message's entry goes when the message does.
 */
export class MessageFlags {
  readonly #flags = new Map<string, Set<VolatileFlag>>();
  readonly #changes = new EventEmitter();
  readonly #unsubscribe: Array<() => void>;
  readonly #shared: SharedMessageFlags | null;

  private constructor(bus: EventBus, shared: SharedMessageFlags | null) {
    this.#changes.setMaxListeners(0);
    this.#shared = shared;
    this.#unsubscribe = [bus.on("message.deleted", ({ id }) => this.#flags.delete(id))];
    if (shared) this.#unsubscribe.push(shared.subscribe((id) => void this.#reread(id)));
  }

  /** The flags of one process, or (`shared`) the copy of the sandbox's, read before this resolves. */
  static async open(bus: EventBus, shared: SharedMessageFlags | null = null): Promise<MessageFlags> {
    const flags = new MessageFlags(bus, shared);
    if (shared) flags.#replaceAll(await shared.all());
    return flags;
  }

  /** In the order of `SYSTEM_FLAGS`. */
  of(summary: Pick<MessageSummary, "id" | "read">): SystemFlag[] {
    const kept = this.#flags.get(summary.id);
    return SYSTEM_FLAGS.filter((flag) => (flag === "\\Seen" ? summary.read : (kept?.has(flag) ?? false)));
  }

  has(id: string, flag: VolatileFlag): boolean {
    return this.#flags.get(id)?.has(flag) ?? false;
  }

  /**
   * Sets or clears volatile flags; announces the message when something changed. Shared flags are
   * changed in the database first: this resolves once they are stored there.
   */
  async set(id: string, flags: readonly VolatileFlag[], on: boolean): Promise<void> {
    if (this.#shared) {
      const stored = await this.#shared.change(id, on ? flags : [], on ? [] : flags);
      this.#replace(id, stored ?? []);
      return;
    }
    const kept = [...(this.#flags.get(id) ?? [])];
    this.#replace(id, on ? [...new Set([...kept, ...flags])] : kept.filter((flag) => !flags.includes(flag)));
  }

  /** Called with the id of each message whose volatile flags changed. Returns the unsubscribe. */
  onChange(listener: (id: string) => void): () => void {
    this.#changes.on("change", listener);
    return () => this.#changes.off("change", listener);
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#changes.removeAllListeners();
  }

  /** Another instance (or this one) changed a message's flags, or any (null): read them again. */
  async #reread(id: string | null): Promise<void> {
    try {
      if (id === null) this.#replaceAll(await this.#shared!.all());
      else this.#replace(id, await this.#shared!.of(id));
    } catch {
      // The database is away: the copy stays as it was until its notifications are back.
    }
  }

  #replaceAll(stored: Map<string, VolatileFlag[]>): void {
    for (const id of [...this.#flags.keys()]) if (!stored.has(id)) this.#replace(id, []);
    for (const [id, flags] of stored) this.#replace(id, flags);
  }

  /** Makes a message's flags exactly `flags`; announces it when that changed anything. */
  #replace(id: string, flags: readonly VolatileFlag[]): void {
    const kept = this.#flags.get(id);
    const same = (kept?.size ?? 0) === flags.length && flags.every((flag) => kept?.has(flag));
    if (same) return;
    if (flags.length === 0) this.#flags.delete(id);
    else this.#flags.set(id, new Set(flags));
    this.#changes.emit("change", id);
  }
}

export function isVolatileFlag(flag: SystemFlag): flag is VolatileFlag {
  return flag !== "\\Seen";
}
