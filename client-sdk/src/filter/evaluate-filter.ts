import type { MessageSummary, StoredMessage } from "@mailnest/protocol";
import type { Message } from "../message/message.js";
import type { CompiledFilter } from "./compile-filter.js";

export interface FilterVerdict {
  matches: boolean;
  /** Why it does not match; every failing part when `explain` was set, else the first. */
  failures: string[];
  /** False when checks that need the full message were skipped (a summary was given). */
  complete: boolean;
}

/**
 * Runs the checks on one message. With a summary only the summary-level checks run, which lets a
 * list be narrowed before fetching full messages. `where` runs last and only when everything else
 * held, so a predicate can rely on the other parts of its filter.
 */
export async function evaluateFilter(
  filter: CompiledFilter,
  target: MessageSummary | Message,
  options: { explain?: boolean } = {},
): Promise<FilterVerdict> {
  const message = isSummary(target) ? null : target;
  const data: MessageSummary | StoredMessage =
    message === null ? (target as MessageSummary) : message.toJSON();
  const failures: string[] = [];
  let complete = true;
  for (const check of filter.checks) {
    if (check.needsFullMessage && message === null) {
      complete = false;
      continue;
    }
    if (check.field === "where" && failures.length > 0) continue;
    const failure = await check.run(data, message);
    if (failure === null) continue;
    failures.push(failure);
    if (!options.explain) break;
  }
  return { matches: failures.length === 0 && complete, failures, complete };
}

function isSummary(target: MessageSummary | Message): target is MessageSummary {
  return typeof (target as Message).toJSON !== "function";
}
