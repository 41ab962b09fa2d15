import { EventEmitter } from "node:events";
import type { EventBus } from "../../events/bus.js";
import type { MessageSummary } from "../../store/model.js";

/** The system flags a retrieval client can set (RFC 3501 section 2.3.2); \Recent is never set. */
export const SYSTEM_FLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"] as const;
export type SystemFlag = (typeof SYSTEM_FLAGS)[number];

/** Flags kept here rather than in the store, which has a place only for the read state. */
type VolatileFlag = Exclude<SystemFlag, "\\Seen">;

/**
 * The flags of every message as IMAP sees them. `\Seen` is the store's `read` (one state for IMAP,
 * POP3, the API and the viewer). The others (`\Flagged`, `\Answered`, `\Draft`, `\Deleted`) have no
 * place in the store: they are kept here, in memory, shared by every session of the process, and
 * lost at a restart. A message's entry goes when the message does.
 */
export class MessageFlags {
  readonly #flags = new Map<string, Set<VolatileFlag>>();
  readonly #changes = new EventEmitter();
  readonly #unsubscribe: () => void;

  constructor(bus: EventBus) {
    this.#changes.setMaxListeners(0);
    this.#unsubscribe = bus.on("message.deleted", ({ id }) => this.#flags.delete(id));
  }

  /** In the order of `SYSTEM_FLAGS`. */
  of(summary: MessageSummary): SystemFlag[] {
    const kept = this.#flags.get(summary.id);
    return SYSTEM_FLAGS.filter((flag) => (flag === "\\Seen" ? summary.read : (kept?.has(flag) ?? false)));
  }

  has(id: string, flag: VolatileFlag): boolean {
    return this.#flags.get(id)?.has(flag) ?? false;
  }

  /** Sets or clears volatile flags; announces the message when something changed. */
  set(id: string, flags: readonly VolatileFlag[], on: boolean): void {
    let kept = this.#flags.get(id);
    let changed = false;
    for (const flag of flags) {
      if (on && !kept?.has(flag)) {
        kept ??= new Set();
        this.#flags.set(id, kept);
        kept.add(flag);
        changed = true;
      } else if (!on && kept?.delete(flag)) {
        changed = true;
      }
    }
    if (kept?.size === 0) this.#flags.delete(id);
    if (changed) this.#changes.emit("change", id);
  }

  /** Called with the id of each message whose volatile flags changed. Returns the unsubscribe. */
  onChange(listener: (id: string) => void): () => void {
    this.#changes.on("change", listener);
    return () => this.#changes.off("change", listener);
  }

  close(): void {
    this.#unsubscribe();
    this.#changes.removeAllListeners();
  }
}

export function isVolatileFlag(flag: SystemFlag): flag is VolatileFlag {
  return flag !== "\\Seen";
}
