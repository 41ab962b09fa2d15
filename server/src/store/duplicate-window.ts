import { grownColumn } from "./grown-column.js";
import type { MessageSummary } from "./model.js";

/** How far back a copy counts as a duplicate: long enough for any client's retry, short enough for tests that resend on purpose. */
export const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;
/** Upper bound on remembered messages, whatever the ingest rate. */
const MAX_REMEMBERED = 100_000;
/** Distinct envelopes whose keys are shared; past this the table starts over (sharing lost, nothing else). */
const MAX_ENVELOPES = 10_000;

/** Slots the columns start with; they double as the window fills. */
const INITIAL_SLOTS = 1024;
/** Marks the end of a chain of entries with the same sha256. */
const NONE = -1;

/**
 * Spots a message that repeats an earlier one: the same raw bytes (sha256) and the same envelope
 * (MAIL FROM and every RCPT TO, in order) within `DUPLICATE_WINDOW_MS`. A client that lost its 250
 * after the server committed, or an app with a double-send bug, sends exactly that. Nothing is
 * dropped: the later copy is kept and marked `duplicateOf` the first, so a test can assert "exactly
 * one email was sent". Kept in memory and rebuilt from the index at startup.
 *
 * Sized for a full window at full speed (up to 100,000 entries). Entries are kept in arrival order in
 * columns, one slot each (id, sha256 and envelope as references to strings the summaries and a table
 * of envelopes share, the time, the next entry with the same sha256, a live flag): about 41 bytes an
 * entry, where an object per entry with its boxed time and a slot in a list of arrivals took about 96
 * (the JS heap after 50,000 messages received in ten minutes: 63.5 MB before, 58.4 MB with columns;
 * docs/performance.md, "V8's pretenuring"). Positions count arrivals from the start and
 * never repeat; `#base` is the position of slot 0, moved forward when the pruned front is dropped.
 */
export class DuplicateWindow {
  /** The newest remembered entry for each sha256; older ones with other envelopes follow `#next`. */
  readonly #bySha = new Map<string, number>();
  #ids: string[] = [];
  #shas: string[] = [];
  #envelopes: string[] = [];
  #times = new Float64Array(INITIAL_SLOTS);
  #next = new Float64Array(INITIAL_SLOTS);
  /** 0 once unlinked (pruned, replaced or forgotten): its slot is then skipped. */
  #live = new Uint8Array(INITIAL_SLOTS);
  /** Position of slot 0. */
  #base = 0;
  /** The oldest position pruning has not passed. */
  #head = 0;
  /** The position the next entry gets. */
  #end = 0;
  #size = 0;
  readonly #envelopeKeys = new Map<string, string>();
  /** What `rebuild` was given and has not yet walked. */
  #pending: { summaries: Iterable<MessageSummary>; now: number } | null = null;

  /** Whom this message repeats, or null; either way it is remembered from now on (if it is the first). */
  claim(id: string, receivedTime: number, fingerprint: Fingerprint): string | null {
    this.settle();
    const envelope = this.#envelopeKey(fingerprint);
    const earlier = this.#find(fingerprint.sha256, envelope);
    if (earlier !== NONE) {
      const slot = earlier - this.#base;
      if (receivedTime - this.#times[slot]! <= DUPLICATE_WINDOW_MS) return this.#ids[slot]!;
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
    for (let position = this.#head; position < this.#end; position += 1) {
      const slot = position - this.#base;
      if (this.#live[slot] === 1 && this.#ids[slot] === id) this.#unlink(position);
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
      if (earlier !== NONE) this.#unlink(earlier);
      this.#remember(summary.id, summary.receivedTime, summary.sha256, envelope);
    }
    this.#prune(now);
  }

  /** How many first copies are remembered. */
  get size(): number {
    this.settle();
    return this.#size;
  }

  #find(sha256: string, envelope: string): number {
    for (let position = this.#bySha.get(sha256) ?? NONE; position !== NONE; ) {
      const slot = position - this.#base;
      if (this.#envelopes[slot] === envelope) return position;
      position = this.#older(position);
    }
    return NONE;
  }

  /**
   * The next entry of `position`'s chain. A chain only ever links to entries remembered before, so a
   * link that does not point back into the columns can only be a bug: it ends the chain (a missed
   * duplicate) rather than sending a walk round forever with the ingest waiting on it.
   */
  #older(position: number): number {
    const next = this.#next[position - this.#base]!;
    return next < position && next >= this.#base ? next : NONE;
  }

  #remember(id: string, receivedTime: number, sha256: string, envelope: string): void {
    if (this.#end - this.#base === this.#times.length) this.#makeRoom();
    const slot = this.#end - this.#base;
    this.#ids.push(id);
    this.#shas.push(sha256);
    this.#envelopes.push(envelope);
    this.#times[slot] = receivedTime;
    this.#next[slot] = this.#bySha.get(sha256) ?? NONE;
    this.#live[slot] = 1;
    this.#bySha.set(sha256, this.#end);
    this.#end += 1;
    this.#size += 1;
  }

  #unlink(target: number): void {
    const sha256 = this.#shas[target - this.#base]!;
    let previous = NONE;
    for (let position = this.#bySha.get(sha256) ?? NONE; position !== NONE; ) {
      const slot = position - this.#base;
      const next = this.#older(position);
      if (position !== target) {
        previous = position;
        position = next;
        continue;
      }
      if (previous !== NONE) this.#next[previous - this.#base] = next;
      else if (next !== NONE) this.#bySha.set(sha256, next);
      else this.#bySha.delete(sha256);
      this.#next[slot] = NONE;
      this.#live[slot] = 0;
      this.#size -= 1;
      return;
    }
  }

  #prune(now: number): void {
    while (this.#head < this.#end) {
      const slot = this.#head - this.#base;
      if (this.#live[slot] === 1) {
        if (now - this.#times[slot]! <= DUPLICATE_WINDOW_MS && this.#size <= MAX_REMEMBERED) break;
        this.#unlink(this.#head);
      }
      this.#head += 1;
    }
  }

  /**
   * The columns are full: drop the pruned front when it is most of them (chains never point there:
   * every entry is unlinked before pruning passes it), else double them.
   */
  #makeRoom(): void {
    const dropped = this.#head - this.#base;
    const used = this.#end - this.#base;
    if (dropped * 2 >= used) {
      this.#ids = this.#ids.slice(dropped);
      this.#shas = this.#shas.slice(dropped);
      this.#envelopes = this.#envelopes.slice(dropped);
      this.#times.copyWithin(0, dropped, used);
      this.#next.copyWithin(0, dropped, used);
      this.#live.copyWithin(0, dropped, used);
      this.#base = this.#head;
      return;
    }
    const capacity = this.#times.length * 2;
    this.#times = grownColumn(this.#times, new Float64Array(capacity));
    this.#next = grownColumn(this.#next, new Float64Array(capacity));
    this.#live = grownColumn(this.#live, new Uint8Array(capacity));
  }

  #envelopeKey({ mailFrom, rcptTo }: Pick<Fingerprint, "mailFrom" | "rcptTo">): string {
    // Length-prefixed, so unambiguous whatever the addresses hold.
    let key = `${mailFrom.length}:${mailFrom}`;
    for (const recipient of rcptTo) key += `${recipient.length}:${recipient}`;
    const shared = this.#envelopeKeys.get(key);
    if (shared !== undefined) return shared;
    if (this.#envelopeKeys.size >= MAX_ENVELOPES) this.#envelopeKeys.clear();
    this.#envelopeKeys.set(key, key);
    return key;
  }
}

export interface Fingerprint {
  sha256: string;
  mailFrom: string;
  rcptTo: readonly string[];
}
