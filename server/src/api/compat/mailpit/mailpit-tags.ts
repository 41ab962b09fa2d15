import type { MessageStore } from "../../../store/message-store.js";
import type { HeaderLine } from "../../../store/model.js";
import { allSummaries } from "../peer-store.js";

/**
 * Mailpit's message tags, which Mailnest's store does not have: a message starts with the tags of
 * its `X-Tags` header (comma-separated, as Mailpit reads it), and `PUT /api/v1/tags` or a rename or
 * delete replaces them. Kept in memory by this adapter: set tags are gone after a restart (those
 * of `X-Tags` come back), which docs/compatibility.md says.
 */
export class MailpitTags {
  readonly #store: MessageStore;
  /** Tags set through the API; they win over the header's. */
  readonly #set = new Map<string, readonly string[]>();
  /** The `X-Tags` of messages already read, so a list does not read every message again. */
  readonly #fromHeader = new Map<string, readonly string[]>();

  constructor(store: MessageStore) {
    this.#store = store;
  }

  /** The tags of a message whose headers the caller has at hand. */
  of(id: string, headers: readonly HeaderLine[]): readonly string[] {
    const set = this.#set.get(id);
    if (set) return set;
    let fromHeader = this.#fromHeader.get(id);
    if (!fromHeader) {
      fromHeader = headerTags(headers);
      this.#fromHeader.set(id, fromHeader);
    }
    return fromHeader;
  }

  /** The tags of any message, reading it only if its tags are not known yet; [] for an unknown id. */
  async ofId(id: string): Promise<readonly string[]> {
    const known = this.#set.get(id) ?? this.#fromHeader.get(id);
    if (known) return known;
    const message = await this.#store.get(id);
    return message === null ? [] : this.of(id, message.headers);
  }

  /** Replaces the tags of each existing message (an empty list removes them). */
  set(ids: readonly string[], tags: readonly string[]): void {
    const clean = uniqueSorted(tags.map(cleanTag));
    for (const id of ids) if (this.#store.summary(id) !== null) this.#set.set(id, clean);
  }

  /** Every tag in use, with how many messages carry it; forgets what it kept of deleted messages. */
  async counts(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const live = new Set<string>();
    for await (const summary of allSummaries(this.#store)) {
      live.add(summary.id);
      for (const tag of await this.ofId(summary.id)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    }
    for (const map of [this.#set, this.#fromHeader])
      for (const id of map.keys()) if (!live.has(id)) map.delete(id);
    return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async all(): Promise<string[]> {
    return [...(await this.counts()).keys()];
  }

  /** Renames a tag on every message that has it; a new name already in use merges the two. */
  async rename(from: string, to: string): Promise<void> {
    const name = cleanTag(to);
    await this.#rewrite(from, (tags) => uniqueSorted(tags.map((t) => (t === from ? name : t))));
  }

  async delete(tag: string): Promise<void> {
    await this.#rewrite(tag, (tags) => tags.filter((t) => t !== tag));
  }

  async #rewrite(tag: string, change: (tags: readonly string[]) => readonly string[]): Promise<void> {
    for await (const summary of allSummaries(this.#store)) {
      const tags = await this.ofId(summary.id);
      if (tags.includes(tag)) this.#set.set(summary.id, change(tags));
    }
  }
}

/** `X-Tags: a, b` as Mailpit reads it at ingest. */
function headerTags(headers: readonly HeaderLine[]): readonly string[] {
  const values = headers.filter((h) => h.name.toLowerCase() === "x-tags").map((h) => h.value);
  return uniqueSorted(values.flatMap((value) => value.split(",")).map(cleanTag));
}

/**
 * Mailpit's `CleanTag`: letters, digits, `-`, `_`, `.`, `@` and spaces; anything else becomes a
 * space, runs of spaces one, at most 100 characters.
 */
export function cleanTag(tag: string): string {
  return tag
    .replace(/[^a-zA-Z0-9\-_.@ ]/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 100);
}

function uniqueSorted(tags: readonly string[]): string[] {
  return [...new Set(tags.filter((t) => t !== ""))].sort();
}
