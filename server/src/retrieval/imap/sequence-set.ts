import { CommandSyntaxError } from "./command-tokens.js";

/** RFC 3501 `sequence-set`: numbers and ranges; "*" is the largest number in use. */
export type SequenceSet = Array<{ from: number | "*"; to: number | "*" }>;

const NUMBER = /^[1-9]\d{0,9}$/;

export function parseSequenceSet(text: string): SequenceSet {
  const set: SequenceSet = [];
  for (const item of text.split(",")) {
    const [from, to, extra] = item.split(":");
    if (from === undefined || extra !== undefined) throw invalid(text);
    const start = bound(from, text);
    set.push({ from: start, to: to === undefined ? start : bound(to, text) });
  }
  return set;
}

function bound(text: string, whole: string): number | "*" {
  if (text === "*") return "*";
  if (!NUMBER.test(text) || Number(text) > 0xffffffff) throw invalid(whole);
  return Number(text);
}

function invalid(text: string): CommandSyntaxError {
  return new CommandSyntaxError(
    `invalid sequence set ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}`,
  );
}

/** Whether a token looks like a sequence set (SEARCH tells them from keys this way). */
export function isSequenceSet(text: string): boolean {
  return /^[\d*:,]+$/.test(text);
}

/**
 * Message sequence numbers (ascending, no repeats) for a mailbox of `count` messages. A number
 * beyond `count` is an error (RFC 3501 section 9, `seq-number`), answered BAD.
 */
export function resolveSequenceNumbers(set: SequenceSet, count: number): number[] {
  const chosen = new Set<number>();
  for (const range of set) {
    // In an empty mailbox "1:*" (as clients send it) selects nothing; "1" alone is still wrong.
    if (count === 0 && (range.from === "*" || range.to === "*")) continue;
    const a = range.from === "*" ? count : range.from;
    const b = range.to === "*" ? count : range.to;
    const low = Math.min(a, b);
    const high = Math.max(a, b);
    if (low < 1 || high > count)
      throw new CommandSyntaxError(`no message ${high > count ? high : low} (the mailbox holds ${count})`);
    for (let seq = low; seq <= high; seq++) chosen.add(seq);
  }
  return [...chosen].sort((x, y) => x - y);
}

/**
 * Positions (0-based, ascending) of the messages whose UIDs are in the set. "*" is the highest UID
 * in the mailbox, so `n:*` always includes the last message (RFC 3501 section 6.4.8); UIDs that
 * are not there are ignored.
 */
export function resolveUids(
  set: SequenceSet,
  view: {
    size: number;
    highestUid: number;
    indexOfUid(uid: number): number;
    at(seq: number): { uid: number } | undefined;
  },
): number[] {
  if (view.size === 0) return [];
  const chosen = new Set<number>();
  for (const range of set) {
    const a = range.from === "*" ? view.highestUid : range.from;
    const b = range.to === "*" ? view.highestUid : range.to;
    const low = Math.min(a, b);
    const high = Math.max(a, b);
    for (let index = view.indexOfUid(low); index < view.size; index++) {
      if (view.at(index + 1)!.uid > high) break;
      chosen.add(index);
    }
  }
  return [...chosen].sort((x, y) => x - y);
}
