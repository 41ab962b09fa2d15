import { describe, expect, it } from "vitest";
import { InvalidFaultRuleError } from "../../faults/invalid-fault-rule-error.js";
import { InvalidCursorError, StorageFailedError } from "../../store/errors.js";
import { WaitAbortedError, WaitClosedError, WaitTimeoutError } from "../../waits/wait-errors.js";
import { NotFoundError } from "./errors.js";
import { toApiError } from "./to-api-error.js";

/** What `sendError` puts on the wire for an error. */
function answer(error: unknown) {
  const apiError = toApiError(error);
  return apiError && { status: apiError.status, code: apiError.code, ...apiError.details() };
}

describe("toApiError", () => {
  it("answers a closed wait registry (shutdown) with 503 shutting_down", () => {
    expect(answer(new WaitClosedError())).toEqual({ status: 503, code: "shutting_down" });
  });

  it("answers a timed-out wait with 408 wait_timeout and what the inbox holds", () => {
    const details = { matched: 0, inboxCount: 2, recent: [], head: 7 };
    const error = new WaitTimeoutError({ filter: { inbox: "ann@x.test" }, count: 1, timeoutMs: 50 }, details);
    expect(answer(error)).toEqual({ status: 408, code: "wait_timeout", ...details });
    expect(toApiError(error)?.message).toBe(
      'Timed out after 50 ms waiting for 1 message to "ann@x.test" (0 matched); the inbox holds 2',
    );
  });

  it("names the parameter of a bad cursor and of a bad fault rule field", () => {
    expect(answer(new InvalidCursorError("zz"))).toEqual({
      status: 400,
      code: "invalid_parameter",
      parameter: "cursor",
    });
    expect(answer(new InvalidFaultRuleError("code", "bad code"))).toEqual({
      status: 400,
      code: "invalid_parameter",
      parameter: "code",
    });
  });

  it("answers storage that cannot be reached (the database is down) with 503 storage_unavailable; a disk that refuses stays a 500", () => {
    const refused = new Error("connect ECONNREFUSED 127.0.0.1:5432");
    const unavailable = new StorageFailedError(
      "reading the raw bytes of message 01x from PostgreSQL",
      refused,
      {
        unavailable: true,
      },
    );
    expect(answer(unavailable)).toEqual({ status: 503, code: "storage_unavailable" });
    expect(toApiError(unavailable)?.message).toBe(
      "Storage unavailable while reading the raw bytes of message 01x from PostgreSQL: connect ECONNREFUSED 127.0.0.1:5432",
    );
  });

  it("keeps an ApiError as it is and leaves anything unknown (a bug, a 500) unmapped", () => {
    const notFound = new NotFoundError("No such thing");
    expect(toApiError(notFound)).toBe(notFound);
    expect(toApiError(new WaitAbortedError())).toBeNull();
    expect(toApiError(new StorageFailedError("deleting", new Error("EIO")))).toBeNull();
    expect(toApiError(new Error("boom"))).toBeNull();
  });
});
