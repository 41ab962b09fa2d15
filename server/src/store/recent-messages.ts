import { deepFreeze } from "../deep-freeze.js";
import type { Sidecar } from "./sidecar.js";

/** The newest messages kept whole: a wait answers with messages stored milliseconds earlier. */
const CAPACITY = 64;
/**
 * Messages whose bodies (text + HTML + visible text) are longer are not kept: 64 newsletters must
 * not pin megabytes. They are read back from disk like any older message.
 */
const MAX_BODY_CHARS = 128 * 1024;

/**
 * The sidecars of the last messages stored, so that `get` of a message a waiter has just matched,
 * and a `text` filter checked against it, need no disk read. Filled in sequence order as messages
 * become visible; a deleted message leaves at once. The sidecars are shared with every reader, so
 * they are frozen before the first one gets them: a caller that changed a message it was given would
 * otherwise change it for every later reader (read flags and inboxes come from the index's live
 * summaries, not from here). Not when remembered: most of the 64 are never read, and freezing a
 * sidecar (headers, verdicts, lookups) cost about 20 µs of every message's ingest.
 */
export class RecentMessages {
  readonly #sidecars = new Map<string, Sidecar>();

  get(id: string): Sidecar | undefined {
    const sidecar = this.#sidecars.get(id);
    return sidecar === undefined ? undefined : deepFreeze(sidecar);
  }

  remember(sidecar: Sidecar): void {
    if (bodyChars(sidecar) > MAX_BODY_CHARS) return;
    this.#sidecars.set(sidecar.id, sidecar);
    if (this.#sidecars.size > CAPACITY) {
      const oldest = this.#sidecars.keys().next().value;
      if (oldest !== undefined) this.#sidecars.delete(oldest);
    }
  }

  forget(id: string): void {
    this.#sidecars.delete(id);
  }
}

function bodyChars({ view }: Sidecar): number {
  return (view.text?.length ?? 0) + (view.html?.length ?? 0) + view.visibleText.length;
}
