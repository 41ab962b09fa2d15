import { InvalidDkimKeyRequestError } from "../../deliverability/dkim-keys.js";
import { InvalidDnsRecordError } from "../../deliverability/dns-record.js";
import { ZoneFullError } from "../../deliverability/dns-zone.js";
import { isInvalidFaultRuleError } from "../../faults/invalid-fault-rule-error.js";
import { InvalidCursorError, isMessageDamagedError, isStorageFailedError } from "../../store/errors.js";
import { isWaitClosedError, isWaitTimeoutError } from "../../waits/wait-errors.js";
import {
  type ApiError,
  InvalidJsonError,
  InvalidParameterError,
  isApiError,
  MappedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from "./errors.js";
import { integrationApiError } from "./integration-errors.js";

/**
 * The one place where an error from below the HTTP layer gets its `code` (and, through the
 * protocol's `ERROR_STATUS`, its status): the waits', the store's and the fault rules' domain
 * errors, the router's and the JSON body parser's. Null for anything else: a bug, answered 500.
 */
export function toApiError(error: unknown): ApiError | null {
  if (isApiError(error)) return error;
  if (isWaitTimeoutError(error)) return new MappedError("wait_timeout", error.message, { ...error.details });
  if (isWaitClosedError(error)) return new MappedError("shutting_down", error.message);
  const integration = integrationApiError(error);
  if (integration) return integration;
  if (error instanceof InvalidCursorError) return new InvalidParameterError("cursor", error.message);
  if (isMessageDamagedError(error)) {
    const { id, expected, found } = error;
    return new MappedError("message_damaged", error.message, { id, expected, found });
  }
  // The database is away for now (a disk that refuses stays a 500); the message names the operation
  // and what failed, never a URL.
  if (isStorageFailedError(error) && error.unavailable) {
    return new MappedError("storage_unavailable", error.message);
  }
  if (isInvalidFaultRuleError(error)) return new InvalidParameterError(error.parameter, error.message);
  if (error instanceof InvalidDnsRecordError || error instanceof InvalidDkimKeyRequestError) {
    return new InvalidParameterError(error.field, error.message);
  }
  if (error instanceof ZoneFullError) return new PayloadTooLargeError(error.message);
  // The router's decodeURIComponent of a path parameter (`%E0%A4%A`).
  if (error instanceof URIError)
    return new InvalidParameterError("path", "Malformed percent-encoding in the path");
  switch (bodyParserErrorType(error)) {
    case "entity.too.large":
      return new PayloadTooLargeError(`The request body is larger than ${bodyLimit(error)}`);
    case "entity.parse.failed":
      return new InvalidJsonError("The request body is not valid JSON");
    case "encoding.unsupported":
      return new UnsupportedMediaTypeError(
        "The request body's Content-Encoding is not supported: send it as is, or gzip, deflate or br",
      );
    case "charset.unsupported":
      return new UnsupportedMediaTypeError("The request body must be UTF-8 JSON");
    case "request.aborted":
    case "request.size.invalid":
      return new InvalidJsonError("The request body ended early");
    default:
      // A body that says gzip (or deflate, br) and does not inflate: the parser marks it a 400 of
      // the client's, with zlib's code (Z_BUF_ERROR, Z_DATA_ERROR) and no type.
      if (isUndecodableBody(error)) {
        return new InvalidJsonError("The request body does not decompress as its Content-Encoding says");
      }
      return null;
  }
}

function isUndecodableBody(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { status, code } = error as { status?: unknown; code?: unknown };
  return status === 400 && typeof code === "string" && (code.startsWith("Z_") || code.startsWith("ERR__"));
}

/** The body parser's `limit` (1 MiB for most routes, more for `POST /api/send`). */
function bodyLimit(error: unknown): string {
  const limit = (error as { limit?: unknown }).limit;
  if (typeof limit !== "number") return "the limit";
  return limit % (1024 * 1024) === 0 ? `${limit / (1024 * 1024)} MiB` : `${limit} bytes`;
}

function bodyParserErrorType(error: unknown): string | null {
  if (typeof error !== "object" || error === null || !("type" in error)) return null;
  return typeof error.type === "string" ? error.type : null;
}
