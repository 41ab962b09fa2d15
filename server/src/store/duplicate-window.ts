import type { MessageSummary } from "./model.js";

/** How far back a copy counts as a duplicate: long enough for any client's retry, short enough for tests that resend on purpose. */
export const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;
/** Upper bound on remembered messages, whatever the ingest rate. */
const MAX_REMEMBERED = 100_000;

interface Seen {
  id: string;
  receivedTime: number;
}

/**
 * Spots a message that repeats an earlier one: the same raw bytes (sha256) and the same envelope
 * (MAIL FROM and every RCPT TO, in order) within `DUPLICATE_WINDOW_MS`. A client that lost its 250
 * after the server committed, or an app with a double-send bug, sends exactly that. Nothing is
 * dropped: the later copy is kept and marked `duplicateOf` the first, so a test can assert "exactly
 * one email was sent". Kept in memory and rebuilt from the index at startup.
 */
export class DuplicateWindow {
  readonly #seen = new Map<string, Seen>();

  /** Whom this message repeats, or null; either way it is remembered from now on (if it is the first). */
  claim(id: string, receivedTime: number, fingerprint: Fingerprint): string | null {
    const key = keyOf(fingerprint);
    const earlier = this.#seen.get(key);
    if (earlier !== undefined && receivedTime - earlier.receivedTime <= DUPLICATE_WINDOW_MS)
      return earlier.id;
    this.#seen.delete(key);
    this.#seen.set(key, { id, receivedTime });
    this.#prune(receivedTime);
    return null;
  }

  /** A claimed message that was not stored after all (the commit failed), or was deleted. */
  forget(id: string): void {
    for (const [key, seen] of this.#seen) {
      if (seen.id === id) this.#seen.delete(key);
    }
  }

  /** At startup: the messages of the last window, oldest first. */
  rebuild(summaries: Iterable<MessageSummary>, now: number): void {
    for (const summary of summaries) {
      if (now - summary.receivedTime > DUPLICATE_WINDOW_MS || summary.duplicateOf !== null) continue;
      this.#seen.set(keyOf(summary), { id: summary.id, receivedTime: summary.receivedTime });
    }
  }

  #prune(now: number): void {
    // Insertion order is arrival order: the oldest entries come first.
    for (const [key, seen] of this.#seen) {
      if (now - seen.receivedTime <= DUPLICATE_WINDOW_MS && this.#seen.size <= MAX_REMEMBERED) break;
      this.#seen.delete(key);
    }
  }
}

export interface Fingerprint {
  sha256: string;
  mailFrom: string;
  rcptTo: readonly string[];
}

function keyOf({ sha256, mailFrom, rcptTo }: Fingerprint): string {
  return JSON.stringify([sha256, mailFrom, rcptTo]);
}
