import { describe, expect, it } from "vitest";
import { IngestAbortedError, MessageTooLargeError, StorageFailedError } from "../store/errors.js";
import { isClientGone, replyForIngestFailure } from "./ingest-outcome.js";

describe("replyForIngestFailure", () => {
  it("answers a message over the limit 552, a permanent refusal", () => {
    expect(replyForIngestFailure(new MessageTooLargeError(2000, 1000), 1000)).toMatchObject({
      responseCode: 552,
      reason: "size",
      message: "Message exceeds fixed maximum message size 1000",
    });
  });

  it.each([
    new StorageFailedError("writing the message", new Error("ENOSPC")),
    new Error("a bug"),
    "not even an Error",
  ])("answers anything else 451, so the client keeps the message and retries (%s)", (error) => {
    expect(replyForIngestFailure(error, 1000)).toMatchObject({ responseCode: 451, reason: "storage" });
  });

  it("knows when the client is gone and nobody is left to answer", () => {
    expect(isClientGone(new IngestAbortedError(new Error("ECONNRESET")))).toBe(true);
    expect(isClientGone(new StorageFailedError("renaming", new Error("EIO")))).toBe(false);
  });
});
