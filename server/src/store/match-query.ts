import { compileWireFilter, normalizeAddress } from "@mailnest/protocol";
import { compileLinearRegex } from "./linear-regex.js";
import type { IndexedSummary, MessageFilter } from "./message-store.js";
import type { Address, StoredMessage } from "./model.js";

/**
 * One filter, prepared once (needles lowercased, inbox normalized) and applied to many summaries.
 * `list` and `matches` (the long-poll waiters) share it, so a wait and a list never disagree.
 */
export interface PreparedFilter {
  /** Every condition a summary can answer. */
  matchesSummary(summary: IndexedSummary): boolean;
  /** Null when the filter has no `text` condition. */
  readonly textNeedle: string | null;
  /** Whether some condition needs the full message (bodies, headers, attachments). */
  readonly needsFullMessage: boolean;
  /** Whether a condition other than `text` needs the full message (a `match` on bodies or headers). */
  readonly matchNeedsFullMessage: boolean;
  /** The conditions on the full message; call only after `matchesSummary` held. */
  matchesFull(message: StoredMessage): boolean;
}

export function prepareFilter(filter: MessageFilter): PreparedFilter {
  const inbox = filter.inbox === undefined ? null : normalizeAddress(filter.inbox);
  const from = needle(filter.from);
  const to = needle(filter.to);
  const subject = needle(filter.subject);
  const verdicts = (["dkim", "spf", "dmarc", "arc"] as const).filter(
    (method) => filter[method] !== undefined,
  );
  const { since, after, exclude, hasAttachment, authUser } = filter;
  const textNeedle = needle(filter.text);
  // Patterns run on RE2 (linear time); the API compiled them once already to refuse bad ones.
  const match = filter.match === undefined ? null : compileWireFilter(filter.match, compileLinearRegex);

  return {
    textNeedle,
    needsFullMessage: textNeedle !== null || match?.needsFullMessage === true,
    matchNeedsFullMessage: match?.needsFullMessage === true,
    matchesFull(message) {
      if (textNeedle !== null && !matchesVisibleText(textNeedle, message.visibleText)) return false;
      return match === null || match.matches(message);
    },
    matchesSummary(summary) {
      if (since !== undefined && summary.sequence <= since) return false;
      if (after !== undefined && !(summary.receivedTime > after)) return false;
      if (exclude?.has(summary.sequence)) return false;
      if (match !== null && !match.matchesSummary(summary)) return false;
      if (inbox !== null && !summary.inboxes.includes(inbox)) return false;
      if (hasAttachment !== undefined && summary.attachmentCount > 0 !== hasAttachment) return false;
      if (authUser !== undefined && summary.authUser !== authUser) return false;
      for (const method of verdicts) if (summary.authSummary?.[method] !== filter[method]) return false;
      if (subject !== null && !summary.subject.toLowerCase().includes(subject)) return false;
      if (from !== null && !matchesAddresses(from, summary.from, [summary.mailFrom])) return false;
      if (to !== null && !matchesAddresses(to, [...summary.to, ...summary.cc], summary.rcptTo)) return false;
      return true;
    },
  };
}

/**
 * Case-insensitive substring of the message's visible text (computed when it was parsed), the
 * same field the SDK's `text` filter reads, so a server search and an SDK filter never disagree.
 */
export function matchesVisibleText(textNeedle: string, visibleText: string): boolean {
  return visibleText.toLowerCase().includes(textNeedle);
}

function needle(value: string | undefined): string | null {
  return value === undefined || value === "" ? null : value.toLowerCase();
}

/** Header addresses match on name or address; envelope addresses as written. */
function matchesAddresses(needle: string, headers: Address[], envelope: string[]): boolean {
  return (
    headers.some(
      (address) =>
        address.name.toLowerCase().includes(needle) || address.address.toLowerCase().includes(needle),
    ) || envelope.some((address) => address.toLowerCase().includes(needle))
  );
}
