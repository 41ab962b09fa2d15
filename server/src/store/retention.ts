import type { MessageSummary } from "./model.js";

export interface RetentionPolicy {
  /** At least 1. */
  maxMessages: number;
  /** null = keep forever. */
  maxAgeMs: number | null;
}

/**
 * The messages to prune now, oldest (lowest sequence) first: everything above `maxMessages`, then
 * everything received before `now - maxAgeMs`. Sequence order is arrival order, so the age scan stops
 * at the first message young enough: the cost is the number pruned, not the store size.
 */
export function messagesToPrune(
  ascending: readonly MessageSummary[],
  policy: RetentionPolicy,
  now: number,
): MessageSummary[] {
  const victims: MessageSummary[] = [];
  let position = 0;
  for (; position < ascending.length - policy.maxMessages; position++) {
    victims.push(ascending[position]!);
  }
  if (policy.maxAgeMs !== null) {
    const cutoff = now - policy.maxAgeMs;
    for (; position < ascending.length; position++) {
      const summary = ascending[position]!;
      if (Date.parse(summary.receivedAt) >= cutoff) break;
      victims.push(summary);
    }
  }
  return victims;
}

/** When the oldest message outlives `maxAgeMs` (ms since epoch), or null when nothing will. */
export function nextAgeDeadline(oldest: MessageSummary | undefined, policy: RetentionPolicy): number | null {
  if (oldest === undefined || policy.maxAgeMs === null) return null;
  return Date.parse(oldest.receivedAt) + policy.maxAgeMs;
}
