import type { WaitTimeoutDetails } from "@mailnest/protocol";
import type { MessageFilter } from "../store/message-store.js";

/**
 * Why a wait ended without its messages. Domain errors: they say what happened to the wait, not
 * how to answer it; `api/http/to-api-error.ts` gives each its code and HTTP status.
 */
export abstract class WaitError extends Error {}

/** What a timed-out wait asked for. */
export interface TimedOutRequest {
  filter: MessageFilter;
  count: number;
  timeoutMs: number;
}

/**
 * Fewer than `count` matches arrived within `timeoutMs`. `details` is what the caller gets to see
 * (the API sends it as the fields of a 408; the SDK builds its own sentence from them); the
 * message says the same for a log: `Timed out after 10000 ms waiting for 1 message to "a@x" with
 * subject "Welcome" (0 matched); the inbox holds 2, newest: "Reset" (…)`.
 */
export class WaitTimeoutError extends WaitError {
  override readonly name = "WaitTimeoutError" as const;

  constructor(
    readonly request: TimedOutRequest,
    readonly details: WaitTimeoutDetails,
  ) {
    super(describeTimeout(request, details));
  }
}

/** The registry was closed (the server is shutting down): no wait is held open any more. */
export class WaitClosedError extends WaitError {
  override readonly name = "WaitClosedError" as const;

  constructor() {
    super("The server is shutting down");
  }
}

/** The caller's signal aborted (its client went away): nobody is left to answer. */
export class WaitAbortedError extends WaitError {
  override readonly name = "WaitAbortedError" as const;

  constructor() {
    super("The client went away");
  }
}

export function isWaitTimeoutError(error: unknown): error is WaitTimeoutError {
  return error instanceof WaitTimeoutError;
}

export function isWaitClosedError(error: unknown): error is WaitClosedError {
  return error instanceof WaitClosedError;
}

export function isWaitAbortedError(error: unknown): error is WaitAbortedError {
  return error instanceof WaitAbortedError;
}

function describeTimeout({ filter, count, timeoutMs }: TimedOutRequest, details: WaitTimeoutDetails): string {
  const conditions = [
    filter.from === undefined ? null : `from "${filter.from}"`,
    filter.to === undefined ? null : `to "${filter.to}"`,
    filter.subject === undefined ? null : `subject "${filter.subject}"`,
    filter.text === undefined ? null : `text "${filter.text}"`,
    filter.hasAttachment === undefined ? null : filter.hasAttachment ? "an attachment" : "no attachment",
    filter.authUser === undefined ? null : `auth user "${filter.authUser}"`,
    filter.since === undefined ? null : `sequence > ${filter.since}`,
    filter.after === undefined ? null : `received after ${new Date(filter.after).toISOString()}`,
    filter.match === undefined ? null : `match ${JSON.stringify(filter.match)}`,
  ].filter((condition) => condition !== null);
  const target = filter.inbox === undefined ? "in any inbox" : `to "${filter.inbox}"`;
  const what = `${count} message${count === 1 ? "" : "s"} ${target}${conditions.length ? ` with ${conditions.join(", ")}` : ""}`;
  const holder = filter.inbox === undefined ? "the store holds" : "the inbox holds";
  const listed = details.recent.map((m) => `"${m.subject}" (${m.receivedAt})`).join(", ");
  return `Timed out after ${timeoutMs} ms waiting for ${what} (${details.matched} matched); ${holder} ${details.inboxCount}${listed ? `, newest: ${listed}` : ""}`;
}
