import type { MessageSummary } from "./model.js";

/** How far back a copy counts as a duplicate: long enough for any client's retry, short enough for tests that resend on purpose. */
export const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;
/** Upper bound on remembered messages, whatever the ingest rate. */
const MAX_REMEMBERED = 100_000;
/** Distinct envelopes whose keys are shared; past this the table starts over (sharing lost, nothing else). */
const MAX_ENVELOPES = 10_000;

/** One remembered first copy. Copies with the same bytes but other envelopes hang off `next`. */
interface Seen {
  readonly id: string;
  readonly receivedTime: number;
  readonly sha256: string;
  readonly envelope: string;
  next: Seen | null;
  /** False once unlinked (pruned, replaced or forgotten); its arrival slot is then skipped. */
  live: boolean;
}

/**
 * Spots a message that repeats an earlier one: the same raw bytes (sha256) and the same envelope
 * (MAIL FROM and every RCPT TO, in order) within `DUPLICATE_WINDOW_MS`. A client that lost its 250
 * after the server committed, or an app with a double-send bug, sends exactly that. Nothing is
 * dropped: the later copy is kept and marked `duplicateOf` the first, so a test can assert "exactly
 * one email was sent". Kept in memory and rebuilt from the index at startup.
 *
 * Sized for a full window at full speed (up to 100,000 entries): entries are keyed by the message's
 * own sha256 string (the one its summary holds) and envelopes are shared strings, so an entry costs
 * one small object instead of a ~180-byte key string built per message.
 */
export class DuplicateWindow {
  readonly #bySha = new Map<string, Seen>();
  /** Remembered entries in arrival order, oldest at `#head`: what pruning walks. */
  #arrivals: Seen[] = [];
  #head = 0;
  #size = 0;
  readonly #envelopes = new Map<string, string>();
  /** What `rebuild` was given and has not yet walked. */
  #pending: { summaries: Iterable<MessageSummary>; now: number } | null = null;

  /** Whom this message repeats, or null; either way it is remembered from now on (if it is the first). */
  claim(id: string, receivedTime: number, fingerprint: Fingerprint): string | null {
    this.settle();
    const envelope = this.#envelopeKey(fingerprint);
    const earlier = this.#find(fingerprint.sha256, envelope);
    if (earlier !== null) {
      if (receivedTime - earlier.receivedTime <= DUPLICATE_WINDOW_MS) return earlier.id;
      // Outside the window: this copy becomes the one later copies repeat.
      this.#unlink(earlier);
    }
    this.#remember(id, receivedTime, fingerprint.sha256, envelope);
    this.#prune(receivedTime);
    return null;
  }

  /** A claimed message that was not stored after all (the commit failed). Rare: a linear walk. */
  forget(id: string): void {
    this.settle();
    for (let index = this.#head; index < this.#arrivals.length; index += 1) {
      const seen = this.#arrivals[index]!;
      if (seen.live && seen.id === id) this.#unlink(seen);
    }
  }

  /**
   * At startup: the messages of the last window, oldest first. Walked on first use, or by `settle`
   * once the server is up: right after a burst all of them are in the window, and walking 50,000 took
   * a twentieth of a restart. Nothing reads the window before its first claim, so when it is walked
   * changes nothing but who waits; `now` is the start's time either way.
   */
  rebuild(summaries: Iterable<MessageSummary>, now: number): void {
    this.#pending = { summaries, now };
  }

  /** Walks what `rebuild` was given, if it has not been yet. */
  settle(): void {
    const pending = this.#pending;
    if (pending === null) return;
    this.#pending = null;
    const { summaries, now } = pending;
    for (const summary of summaries) {
      if (now - summary.receivedTime > DUPLICATE_WINDOW_MS || summary.duplicateOf !== null) continue;
      const envelope = this.#envelopeKey(summary);
      const earlier = this.#find(summary.sha256, envelope);
      if (earlier !== null) this.#unlink(earlier);
      this.#remember(summary.id, summary.receivedTime, summary.sha256, envelope);
    }
    this.#prune(now);
  }

  /** How many first copies are remembered. */
  get size(): number {
    this.settle();
    return this.#size;
  }

  #find(sha256: string, envelope: string): Seen | null {
    for (let seen = this.#bySha.get(sha256) ?? null; seen !== null; seen = seen.next) {
      if (seen.envelope === envelope) return seen;
    }
    return null;
  }

  #remember(id: string, receivedTime: number, sha256: string, envelope: string): void {
    const seen: Seen = {
      id,
      receivedTime,
      sha256,
      envelope,
      next: this.#bySha.get(sha256) ?? null,
      live: true,
    };
    this.#bySha.set(sha256, seen);
    this.#arrivals.push(seen);
    this.#size += 1;
  }

  #unlink(target: Seen): void {
    let previous: Seen | null = null;
    for (
      let seen = this.#bySha.get(target.sha256) ?? null;
      seen !== null;
      previous = seen, seen = seen.next
    ) {
      if (seen !== target) continue;
      if (previous !== null) previous.next = seen.next;
      else if (seen.next !== null) this.#bySha.set(seen.sha256, seen.next);
      else this.#bySha.delete(seen.sha256);
      seen.next = null;
      seen.live = false;
      this.#size -= 1;
      return;
    }
  }

  #prune(now: number): void {
    const arrivals = this.#arrivals;
    while (this.#head < arrivals.length) {
      const oldest = arrivals[this.#head]!;
      if (oldest.live) {
        if (now - oldest.receivedTime <= DUPLICATE_WINDOW_MS && this.#size <= MAX_REMEMBERED) break;
        this.#unlink(oldest);
      }
      this.#head += 1;
    }
    // Drop the consumed front now and then, so the array neither grows for ever nor pins old entries.
    if (this.#head > 4096 && this.#head * 2 > arrivals.length) {
      this.#arrivals = arrivals.slice(this.#head);
      this.#head = 0;
    }
  }

  #envelopeKey({ mailFrom, rcptTo }: Pick<Fingerprint, "mailFrom" | "rcptTo">): string {
    // Length-prefixed, so unambiguous whatever the addresses hold.
    let key = `${mailFrom.length}:${mailFrom}`;
    for (const recipient of rcptTo) key += `${recipient.length}:${recipient}`;
    const shared = this.#envelopes.get(key);
    if (shared !== undefined) return shared;
    if (this.#envelopes.size >= MAX_ENVELOPES) this.#envelopes.clear();
    this.#envelopes.set(key, key);
    return key;
  }
}

export interface Fingerprint {
  sha256: string;
  mailFrom: string;
  rcptTo: readonly string[];
}
