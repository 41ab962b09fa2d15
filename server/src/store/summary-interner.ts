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
 * `inboxes` whole when it changes. Values unique to a message (id, subject, snippet, sha256, dates,
 * Message-ID) are left alone: interning them would only grow the tables.
 */
export class SummaryInterner {
  readonly #strings = new Map<string, string>();
  readonly #lists = new Map<string, string[]>();
  readonly #addressLists = new Map<string, Address[]>();
  readonly #verdictSets = new Map<string, AuthenticationSummary>();

  /** Replaces the summary's repeated values with shared ones, in place (the object keeps its shape). */
  compact(summary: MessageSummary): void {
    summary.inboxes = this.list(summary.inboxes);
    summary.rcptTo = this.list(summary.rcptTo);
    summary.mailFrom = this.#string(summary.mailFrom);
    summary.from = this.#addresses(summary.from);
    summary.to = this.#addresses(summary.to);
    summary.cc = this.#addresses(summary.cc);
    if (summary.authSummary !== undefined) summary.authSummary = this.#verdicts(summary.authSummary);
  }

  /** A shared, frozen list equal to `values`. */
  list(values: readonly string[]): string[] {
    if (values.length === 0) return NO_STRINGS;
    // Unambiguous keys: a lone value behind "1", several as JSON (which starts with "["). Most
    // messages have one recipient, whose key then costs no serialisation.
    const key = values.length === 1 ? `1${values[0]!}` : JSON.stringify(values);
    let shared = this.#lists.get(key);
    if (shared === undefined) {
      shared = Object.freeze(values.map((value) => this.#string(value))) as string[];
      remember(this.#lists, key, shared);
    }
    return shared;
  }

  #addresses(addresses: readonly Address[]): Address[] {
    if (addresses.length === 0) return NO_ADDRESSES;
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
    return shared;
  }

  /** Most messages share one of a handful of verdict combinations ("none" four times, say). */
  #verdicts(verdicts: AuthenticationSummary): AuthenticationSummary {
    const { dkim, spf, dmarc, arc } = verdicts;
    const key = `${dkim} ${spf} ${dmarc} ${arc}`;
    let shared = this.#verdictSets.get(key);
    if (shared === undefined) {
      shared = Object.freeze({ dkim, spf, dmarc, arc });
      remember(this.#verdictSets, key, shared);
    }
    return shared;
  }

  #string(value: string): string {
    const shared = this.#strings.get(value);
    if (shared !== undefined) return shared;
    remember(this.#strings, value, value);
    return value;
  }
}

function remember<V>(table: Map<string, V>, key: string, value: V): void {
  if (table.size >= MAX_ENTRIES) table.clear();
  table.set(key, value);
}
