import { ERROR_STATUS, type ErrorCode } from "@mailnest/protocol";
import { receivedValue } from "../../received-value.js";

/**
 * Every failure the API answers with: one stable `code`, and the status the protocol's
 * `ERROR_STATUS` gives it. `sendError` turns any of them into `{ "error": { code, message,
 * ...details } }` (docs/api.md, "Errors"). The classes below are what the HTTP layer itself finds
 * wrong; errors of the layers below become one in `to-api-error.ts`.
 */
export abstract class ApiError extends Error {
  abstract readonly code: ErrorCode;

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  /** Extra fields merged into the `error` object (e.g. which parameter was wrong). */
  details(): Record<string, unknown> {
    return {};
  }
}

export class InvalidParameterError extends ApiError {
  override readonly name = "InvalidParameterError" as const;
  readonly code = "invalid_parameter";

  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }

  /** `Invalid "limit": expected an integer from 1 to 500, got "abc"` */
  static expected(parameter: string, expected: string, received: unknown): InvalidParameterError {
    return new InvalidParameterError(
      parameter,
      `Invalid "${parameter}": expected ${expected}, got ${describe(parameter, received)}`,
    );
  }

  override details(): Record<string, unknown> {
    return { parameter: this.parameter };
  }
}

export class InvalidJsonError extends ApiError {
  override readonly name = "InvalidJsonError" as const;
  readonly code = "invalid_json";
}

export class UnauthorizedError extends ApiError {
  override readonly name = "UnauthorizedError" as const;
  readonly code = "unauthorized";

  constructor() {
    super("This server requires an API token: send `Authorization: Bearer <token>`");
  }
}

export class ForbiddenError extends ApiError {
  override readonly name = "ForbiddenError" as const;
  readonly code = "forbidden";
}

export class NotFoundError extends ApiError {
  override readonly name = "NotFoundError" as const;
  readonly code = "not_found";
}

export class PayloadTooLargeError extends ApiError {
  override readonly name = "PayloadTooLargeError" as const;
  readonly code = "payload_too_large";
}

export class UnsupportedMediaTypeError extends ApiError {
  override readonly name = "UnsupportedMediaTypeError" as const;
  readonly code = "unsupported_media_type";
}

/** A domain error given its code by `to-api-error.ts` (a wait that timed out, a server shutting down). */
export class MappedError extends ApiError {
  override readonly name = "MappedError" as const;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  override details(): Record<string, unknown> {
    return { ...this.fields };
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

function describe(parameter: string, value: unknown): string {
  if (Array.isArray(value)) {
    // A repeated query parameter arrives as an array; its length is not what was sent once the
    // query parser's key limit cut it, so no count is given.
    return parameter === "body" ? "a JSON array" : "several values (give the parameter once)";
  }
  return receivedValue(value);
}
