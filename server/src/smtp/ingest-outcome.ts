import { IngestAbortedError, isMessageTooLargeError } from "../store/errors.js";
import { SmtpReplyError } from "./smtp-error.js";

/**
 * Maps a failed `store.ingest` to the SMTP answer. The rule that matters: a message that is not
 * stored never gets 250. Too large is permanent (552, RFC 1870 section 6.2); anything else is the
 * server's trouble, so 451 tells the client to keep the message and retry.
 */
export function replyForIngestFailure(error: unknown, maxSize: number): SmtpReplyError {
  if (isMessageTooLargeError(error)) {
    return new SmtpReplyError(552, `Message exceeds fixed maximum message size ${maxSize}`, "size");
  }
  return new SmtpReplyError(
    451,
    "Requested action aborted: local error in processing, try again later",
    "storage",
  );
}

/** The client vanished before the final dot: there is nobody to answer and nothing was rejected. */
export function isClientGone(error: unknown): boolean {
  return error instanceof IngestAbortedError;
}
