import { normalizeAddress } from "@mailnest/protocol";
import type { MessageFilter } from "./message-store.js";
import type { Address, MessageSummary } from "./model.js";

/**
 * One filter, prepared once (needles lowercased, inbox normalized) and applied to many summaries.
 * `list` and `matches` (the long-poll waiters) share it, so a wait and a list never disagree.
 */
export interface PreparedFilter {
  /** Every condition except `text`, answered from the summary alone. */
  matchesSummary(summary: MessageSummary): boolean;
  /** Null when the filter has no `text` condition. */
  readonly textNeedle: string | null;
}

export function prepareFilter(filter: MessageFilter): PreparedFilter {
  const inbox = filter.inbox === undefined ? null : normalizeAddress(filter.inbox);
  const from = needle(filter.from);
  const to = needle(filter.to);
  const subject = needle(filter.subject);
  const verdicts = (["dkim", "spf", "dmarc", "arc"] as const).filter(
    (method) => filter[method] !== undefined,
  );
  const { since, hasAttachment, authUser } = filter;

  return {
    textNeedle: needle(filter.text),
    matchesSummary(summary) {
      if (since !== undefined && summary.sequence <= since) return false;
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
