import type { MessageStore } from "../../store/message-store.js";
import type { Address, StoredMessage } from "../../store/model.js";
import type { MailboxView, ViewEntry } from "../mailbox/mailbox-view.js";
import type { SearchKey } from "./search-program.js";
import { resolveSequenceNumbers, resolveUids } from "./sequence-set.js";

const DAY_MS = 86_400_000;

/**
 * Evaluates a SEARCH program over a mailbox view. Strings match case-insensitively as substrings
 * (RFC 3501 section 6.4.4) of the decoded values the store keeps: the summary's From/To/Cc and
 * subject, the full message's Bcc and headers, and for BODY and TEXT the message's visible text
 * through the store's own `text` matching (the same meaning as the API's `text` filter).
 */
export class SearchMatcher {
  readonly #store: MessageStore;
  readonly #view: MailboxView;
  readonly #full = new Map<string, Promise<StoredMessage | null>>();
  /** Sets resolved once per search, not once per message. */
  readonly #seqSets = new Map<SearchKey, Set<number>>();

  constructor(store: MessageStore, view: MailboxView) {
    this.#store = store;
    this.#view = view;
  }

  async matches(key: SearchKey, entry: ViewEntry, position: number): Promise<boolean> {
    switch (key.op) {
      case "all":
        return true;
      case "none":
        return false;
      case "and":
        for (const inner of key.keys) if (!(await this.matches(inner, entry, position))) return false;
        return true;
      case "or":
        return (await this.matches(key.left, entry, position)) || this.matches(key.right, entry, position);
      case "not":
        return !(await this.matches(key.key, entry, position));
      case "flag":
        return this.#view.flagsOf(entry).includes(key.flag) === key.set;
      case "size":
        return key.compare === "larger" ? entry.summary.size > key.bytes : entry.summary.size < key.bytes;
      case "seq":
      case "uid":
        return this.#positions(key).has(position);
      case "date": {
        const iso = key.field === "internal" ? entry.summary.receivedAt : entry.summary.date;
        if (iso === null) return false;
        const day = Math.floor(Date.parse(iso) / DAY_MS) * DAY_MS;
        return key.compare === "before"
          ? day < key.day
          : key.compare === "on"
            ? day === key.day
            : day >= key.day;
      }
      case "text":
        return this.#text(key.field, key.value.toLowerCase(), entry);
      case "header": {
        const message = await this.#message(entry);
        const name = key.name.toLowerCase();
        const needle = key.value.toLowerCase();
        return (message?.headers ?? []).some(
          (header) => header.name.toLowerCase() === name && header.value.toLowerCase().includes(needle),
        );
      }
    }
  }

  async #text(
    field: Extract<SearchKey, { op: "text" }>["field"],
    needle: string,
    entry: ViewEntry,
  ): Promise<boolean> {
    const { summary } = entry;
    switch (field) {
      case "from":
        return addressesContain(summary.from, needle);
      case "to":
        return addressesContain(summary.to, needle);
      case "cc":
        return addressesContain(summary.cc, needle);
      case "subject":
        return summary.subject.toLowerCase().includes(needle);
      case "bcc":
        return addressesContain((await this.#message(entry))?.bcc ?? [], needle);
      case "body":
        return this.#store.matches(summary, { text: needle });
      case "text": {
        const message = await this.#message(entry);
        const inHeaders = (message?.headers ?? []).some((header) =>
          `${header.name}: ${header.value}`.toLowerCase().includes(needle),
        );
        return inHeaders || this.#store.matches(summary, { text: needle });
      }
    }
  }

  #message(entry: ViewEntry): Promise<StoredMessage | null> {
    let message = this.#full.get(entry.id);
    if (!message) {
      message = this.#store.get(entry.id);
      this.#full.set(entry.id, message);
    }
    return message;
  }

  #positions(key: Extract<SearchKey, { op: "seq" | "uid" }>): Set<number> {
    let positions = this.#seqSets.get(key);
    if (!positions) {
      positions = new Set(
        key.op === "uid"
          ? resolveUids(key.set, this.#view)
          : resolveSequenceNumbers(key.set, this.#view.size).map((seq) => seq - 1),
      );
      this.#seqSets.set(key, positions);
    }
    return positions;
  }
}

function addressesContain(addresses: readonly Address[], needle: string): boolean {
  return addresses.some(
    (address) =>
      address.name.toLowerCase().includes(needle) || address.address.toLowerCase().includes(needle),
  );
}
