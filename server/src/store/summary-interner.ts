import type { AuthenticationSummary } from "@mailnest/protocol";
import type { Address, MessageSummary } from "./model.js";

/**
 * Distinct values kept per table. Interning only saves memory; past this many (a sandbox that has
 * seen that many distinct addresses) a table starts over, which costs sharing, never correctness.
 */
const MAX_ENTRIES = 50_000;
const NO_STRINGS = Object.freeze([]) as unknown as string[];
const NO_ADDRESSES = Object.freeze([]) as unknown as Address[];

/**
 * Shares the values that repeat from message to message (inbox keys, envelope addresses, header
 * addresses and display names) between the summaries of the in-memory index. JSON.parse and the
 * parser give every summary its own copies: about 600 of the 1,230 bytes of heap a summary took at
 * 50,000 messages sent to 100 inboxes. Shared lists and address objects are frozen, so a mutation
 * in place (which would change every message sharing them) throws instead; the index replaces
 * `inboxes` whole when it changes. Values unique to a message (id, subject, snippet, sha256,
 * `receivedAt`, Message-ID) are left alone: interning them would only grow the tables. The Date
 * header is shared with the message before when they are equal (see `#date`), which needs no table.
 */
export class SummaryInterner {
  readonly #strings = new Map<string, string>();
  readonly #lists = new Map<string, string[]>();
  readonly #addressLists = new Map<string, Address[]>();
  readonly #verdictSets = new Map<string, AuthenticationSummary>();
  #lastDate: string | null = null;

  /**
   * Replaces the summary's repeated values with shared ones, in place (the object keeps its shape).
   * `seen` maps lists already interned in this batch to their shared copies: summaries read back from
   * the snapshot share their lists already (v8.deserialize keeps identity), so one lookup by identity
   * replaces building each list's key again (a third of a 50,000-message load's interning time); the
   * same for verdict sets (another 15 ms of that load).
   */
  compact(summary: MessageSummary, seen?: IdentityCache): void {
    summary.inboxes = this.list(summary.inboxes, seen);
    summary.rcptTo = this.list(summary.rcptTo, seen);
    summary.mailFrom = this.#string(summary.mailFrom);
    summary.date = this.#date(summary.date);
    summary.from = this.#addresses(summary.from, seen);
    summary.to = this.#addresses(summary.to, seen);
    summary.cc = this.#addresses(summary.cc, seen);
    if (summary.authSummary !== undefined) summary.authSummary = this.#verdicts(summary.authSummary, seen);
  }

  /** A shared, frozen list equal to `values`. */
  list(values: readonly string[], seen?: IdentityCache): string[] {
    if (values.length === 0) return NO_STRINGS;
    const known = seen?.get(values);
    if (known !== undefined) return known as string[];
    // Unambiguous keys: a lone value behind "1", several as JSON (which starts with "["). Most
    // messages have one recipient, whose key then costs no serialisation.
    const key = values.length === 1 ? `1${values[0]!}` : JSON.stringify(values);
    let shared = this.#lists.get(key);
    if (shared === undefined) {
      shared = Object.freeze(values.map((value) => this.#string(value))) as string[];
      remember(this.#lists, key, shared);
    }
    if (seen) remember(seen, values, shared, MAX_IDENTITIES);
    return shared;
  }

  #addresses(addresses: readonly Address[], seen?: IdentityCache): Address[] {
    if (addresses.length === 0) return NO_ADDRESSES;
    const known = seen?.get(addresses);
    if (known !== undefined) return known as Address[];
    // Length-prefixed, so unambiguous whatever the values hold; cheaper than JSON.
    let key = "";
    for (const { name, address } of addresses) key += `${name.length}:${name}${address.length}:${address}`;
    let shared = this.#addressLists.get(key);
    if (shared === undefined) {
      const copies = addresses.map(({ name, address }) =>
        Object.freeze({ name: this.#string(name), address: this.#string(address) }),
      );
      shared = Object.freeze(copies) as Address[];
      remember(this.#addressLists, key, shared);
    }
    if (seen) remember(seen, addresses, shared, MAX_IDENTITIES);
    return shared;
  }

  /** Most messages share one of a handful of verdict combinations ("none" four times, say). */
  #verdicts(verdicts: AuthenticationSummary, seen?: IdentityCache): AuthenticationSummary {
    const known = seen?.get(verdicts);
    if (known !== undefined) return known as AuthenticationSummary;
    const { dkim, spf, dmarc, arc } = verdicts;
    const key = `${dkim} ${spf} ${dmarc} ${arc}`;
    let shared = this.#verdictSets.get(key);
    if (shared === undefined) {
      shared = Object.freeze({ dkim, spf, dmarc, arc });
      remember(this.#verdictSets, key, shared);
    }
    if (seen) remember(seen, verdicts, shared, MAX_IDENTITIES);
    return shared;
  }

  /**
   * Most apps write the Date header to the second, so the messages of a burst carry the same one, one
   * after the other (an app that sends a thousand a second, a thousand times over): sharing it with
   * the message before saved 2.4 MB of heap at 50,000 messages, with no table to grow when every
   * message's differs.
   */
  #date(date: string | null): string | null {
    if (date === null) return null;
    if (date === this.#lastDate) return this.#lastDate;
    this.#lastDate = date;
    return date;
  }

  #string(value: string): string {
    const shared = this.#strings.get(value);
    if (shared !== undefined) return shared;
    remember(this.#strings, value, value);
    return value;
  }
}

/** Lists and verdict sets interned during one batch, by identity; dropped with the batch (it holds the originals). */
export type IdentityCache = Map<object, object>;

/**
 * Summaries parsed from JSON share nothing: there every list is new, and an unbounded cache would
 * keep every original alive until the batch ends. Shared lists are few, so a small cache holds them.
 */
const MAX_IDENTITIES = 4096;

/** Adds to a bounded table: a full one starts over (sharing is lost for a while, nothing else). */
function remember<K, V>(table: Map<K, V>, key: K, value: V, max = MAX_ENTRIES): void {
  if (table.size >= max) table.clear();
  table.set(key, value);
}
