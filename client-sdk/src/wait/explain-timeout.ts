import {
  apiPaths,
  type ListParams,
  type MessagePage,
  type MessageSummary,
  type StoredMessage,
  type WaitTimeoutErrorObject,
} from "@mailnest/protocol";
import type { ClientContext } from "../client/client-context.js";
import { isNotFoundError } from "../errors/not-found-error.js";
import { type NearMiss, WaitTimeoutError } from "../errors/wait-timeout-error.js";
import type { CompiledFilter } from "../filter/compile-filter.js";
import { evaluateFilter } from "../filter/evaluate-filter.js";
import type { Message } from "../message/message.js";
import { formatAddress } from "../util/describe.js";

/** How many recent messages are looked at, and how many of those are fetched in full to explain them. */
const RECENT_LIMIT = 20;
const EXPLAINED_IN_FULL = 10;
const NEAR_MISSES_SHOWN = 5;

export interface TimeoutContext {
  context: ClientContext;
  /** The inbox waited on, or null across inboxes. */
  inbox: string | null;
  filter: CompiledFilter;
  count: number;
  timeout: number;
  /** The matching messages found before the time ran out (fewer than `count`). */
  matched: readonly Message[];
  lastTimeout: WaitTimeoutErrorObject | null;
  /** The wait's cursor and how to say that a message came before it. */
  since: number;
  /** `nextMessage()`: the call's instant on the server's clock; a message received earlier came before it. */
  after?: number | undefined;
  beforeSince: string;
  /** Messages earlier waits on the same handle returned. */
  isDelivered(message: { id: string }): boolean;
}

/**
 * Builds the error a failing test shows: what was awaited, and for the most recent messages in the
 * inbox, why each did not count. The explanation costs a few requests, made only on this failure
 * path; if they fail, the server's own timeout summary is used instead.
 */
export async function explainTimeout(details: TimeoutContext): Promise<WaitTimeoutError> {
  const headline = `Timed out after ${details.timeout} ms ${describeWait(details)}.`;

  let nearMisses: NearMiss[];
  let held: number | null = details.lastTimeout?.inboxCount ?? null;
  let note = "";
  try {
    const recent = await recentMessages(details);
    held ??= recent.length < RECENT_LIMIT ? recent.length : null;
    const explained = await Promise.all(
      recent.map((summary, index) => explainOne(details, summary, index < EXPLAINED_IN_FULL)),
    );
    // Closest first: the fewest filter parts failed; a message that matches but was excluded by the
    // cursor (returned before, arrived too early) is the closest of all. Then the newest.
    explained.sort((a, b) => a.distance - b.distance || b.miss.sequence - a.miss.sequence);
    nearMisses = explained.map((entry) => entry.miss);
  } catch (error) {
    nearMisses = (details.lastTimeout?.recent ?? []).map((entry) => ({ ...entry, reasons: [] }));
    note = ` (could not load the messages to explain them: ${error instanceof Error ? error.message : String(error)})`;
  }
  const shown = nearMisses.slice(0, NEAR_MISSES_SHOWN);

  const place = details.inbox === null ? "The store" : "The inbox";
  let body: string;
  if (shown.length === 0) {
    body = details.inbox === null ? "No matching recipient has received anything." : "The inbox is empty.";
  } else {
    const count = held === null ? `at least ${nearMisses.length} messages` : plural(held, "message");
    const closest = shown.length < nearMisses.length ? `; the ${shown.length} closest` : "";
    const lines = shown.map((miss) => `  - ${formatMiss(miss)}`);
    body = `${place} holds ${count}${closest}:\n${lines.join("\n")}`;
  }

  return new WaitTimeoutError(`${headline}\n${body}${note}`, {
    timeout: details.timeout,
    inbox: details.inbox,
    filter: details.filter.description,
    count: details.count,
    matched: details.matched.length,
    inboxCount: held,
    nearMisses: shown,
  });
}

/** `waiting for 1 message to "a@mailnest.test" with subject /Welcome/`: what a failed wait was after. */
export function describeWait(details: {
  inbox: string | null;
  filter: CompiledFilter;
  count: number;
  matched: readonly unknown[];
}): string {
  const target = details.inbox === null ? "in any inbox" : `to ${JSON.stringify(details.inbox)}`;
  const wanted =
    details.count === 1 ? "1 message" : `${details.count} messages (found ${details.matched.length})`;
  const filter = details.filter.description ? ` with ${details.filter.description}` : "";
  return `waiting for ${wanted} ${target}${filter}`;
}

async function recentMessages(details: TimeoutContext): Promise<MessageSummary[]> {
  const { http } = details.context;
  const to = details.filter.serverQuery.to;
  const path = details.inbox === null ? apiPaths.messages() : apiPaths.inboxMessages(details.inbox);
  // Across inboxes, the recipient narrows "recent" to what matters; the other parts are explained.
  const query: ListParams = {
    limit: RECENT_LIMIT,
    ...(details.inbox === null && typeof to === "string" ? { to } : {}),
  };
  try {
    // Best effort, on the failure path: a server that went away must not delay the timeout error.
    const page = await http.json<MessagePage>("GET", path, { query, retry: false });
    details.context.observeHead(page.head);
    return page.messages;
  } catch (error) {
    if (isNotFoundError(error)) return [];
    throw error;
  }
}

async function explainOne(
  details: TimeoutContext,
  summary: MessageSummary,
  inFull: boolean,
): Promise<{ miss: NearMiss; distance: number }> {
  const reasons: string[] = [];
  if (
    summary.sequence <= details.since ||
    (details.after !== undefined && summary.receivedTime <= details.after)
  ) {
    reasons.push(details.beforeSince);
  }
  if (details.isDelivered(summary)) reasons.push("already returned by an earlier wait on this handle");
  const positional = reasons.length;
  let target: MessageSummary | Message = summary;
  if (inFull) {
    const data = await details.context.http
      .json<StoredMessage>("GET", apiPaths.message(summary.id), { retry: false })
      .catch(() => null);
    if (data !== null) target = details.context.toMessage(data);
  }
  try {
    const verdict = await evaluateFilter(details.filter, target, { explain: true });
    reasons.push(...verdict.failures);
    if (!verdict.complete && verdict.failures.length === 0)
      reasons.push("not checked in full (only the newest are)");
  } catch (error) {
    reasons.push(`the filter threw: ${error instanceof Error ? error.message : String(error)}`);
  }
  const from = summary.from[0] ? formatAddress(summary.from[0]) : summary.mailFrom || "(no sender)";
  const miss: NearMiss = {
    id: summary.id,
    sequence: summary.sequence,
    subject: summary.subject,
    from,
    receivedAt: summary.receivedAt,
    reasons: reasons.length > 0 ? reasons : [matchedReason(details, summary)],
  };
  return { miss, distance: (reasons.length - positional) * 2 + (positional > 0 ? 1 : 0) };
}

function matchedReason(details: TimeoutContext, summary: MessageSummary): string {
  if (details.matched.some((message) => message.id === summary.id)) {
    return `matches (one of the ${details.matched.length} found)`;
  }
  return "matches, but arrived as the wait gave up";
}

function formatMiss(miss: NearMiss): string {
  const time = new Date(miss.receivedAt).toISOString().slice(11, 23);
  const why = miss.reasons.length === 0 ? "" : `: ${miss.reasons.join("; ")}`;
  return `#${miss.sequence} ${JSON.stringify(miss.subject)} from ${miss.from} at ${time}Z${why}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
