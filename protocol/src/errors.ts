import type { WaitTimeoutDetails } from "./wait.js";

/**
 * Every `error.code` the API answers with, and its HTTP status. One table, so the server's error
 * classes, the OpenAPI document and the SDK's error mapping cannot disagree.
 */
export const ERROR_STATUS = {
  invalid_parameter: 400,
  invalid_json: 400,
  /** The request is not HTTP that Node's parser accepts (before any route sees it). */
  malformed_request: 400,
  unsupported_pattern: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  wait_timeout: 408,
  /** The request did not arrive whole within Node's `requestTimeout` (5 minutes). */
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  /** The request line and headers are above Node's limit (16 KiB): a very long URL, say. */
  request_headers_too_large: 431,
  internal_error: 500,
  message_damaged: 500,
  /**
   * A release answered at once (MailDev's relay route) whose first attempt failed: the relay refused
   * it or could not be reached. The release is kept and retried like any other.
   */
  relay_failed: 502,
  shutting_down: 503,
  /**
   * The storage could not be read or written: the PostgreSQL database is unreachable (restart,
   * failover), or the disk refused. Temporary: the same request may succeed later.
   */
  storage_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The `error` object of every failure: `{ "error": { "code", "message", ... } }`. */
export interface ErrorObject {
  code: ErrorCode;
  /** For people: says what was seen and what was expected. */
  message: string;
  /** With `invalid_parameter` and `unsupported_pattern`: the parameter or field that was wrong (`match.subject`). */
  parameter?: string;
}

export interface ErrorBody {
  error: ErrorObject;
}

/** The `error` object of a 408 from a wait. */
export interface WaitTimeoutErrorObject extends ErrorObject, WaitTimeoutDetails {
  code: "wait_timeout";
}

export interface WaitTimeoutErrorBody {
  error: WaitTimeoutErrorObject;
}
