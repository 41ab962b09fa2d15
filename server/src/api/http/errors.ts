import type { ErrorCode, WaitTimeoutDetails } from "@mailnest/protocol";

export type { RecentMessage, WaitTimeoutDetails } from "@mailnest/protocol";

/**
 * Every failure the API answers with. Each maps to one status and one stable `code`; `sendError`
 * turns any of them into `{ "error": { code, message, ...details } }` (docs/api.md, "Errors").
 */
export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: ErrorCode;

  /** Extra fields merged into the `error` object (e.g. which parameter was wrong). */
  details(): Record<string, unknown> {
    return {};
  }
}

export class InvalidParameterError extends ApiError {
  override readonly name = "InvalidParameterError" as const;
  readonly status = 400;
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
      `Invalid "${parameter}": expected ${expected}, got ${describe(received)}`,
    );
  }

  override details(): Record<string, unknown> {
    return { parameter: this.parameter };
  }
}

export class InvalidJsonError extends ApiError {
  override readonly name = "InvalidJsonError" as const;
  readonly status = 400;
  readonly code = "invalid_json";
}

export class UnauthorizedError extends ApiError {
  override readonly name = "UnauthorizedError" as const;
  readonly status = 401;
  readonly code = "unauthorized";

  constructor() {
    super("This server requires an API token: send `Authorization: Bearer <token>`");
  }
}

export class ForbiddenError extends ApiError {
  override readonly name = "ForbiddenError" as const;
  readonly status = 403;
  readonly code = "forbidden";
}

export class NotFoundError extends ApiError {
  override readonly name = "NotFoundError" as const;
  readonly status = 404;
  readonly code = "not_found";
}

export class WaitTimeoutError extends ApiError {
  override readonly name = "WaitTimeoutError" as const;
  readonly status = 408;
  readonly code = "wait_timeout";

  constructor(
    message: string,
    readonly result: WaitTimeoutDetails,
  ) {
    super(message);
  }

  override details(): Record<string, unknown> {
    return { ...this.result };
  }
}

export class PayloadTooLargeError extends ApiError {
  override readonly name = "PayloadTooLargeError" as const;
  readonly status = 413;
  readonly code = "payload_too_large";
}

export class UnsupportedMediaTypeError extends ApiError {
  override readonly name = "UnsupportedMediaTypeError" as const;
  readonly status = 415;
  readonly code = "unsupported_media_type";
}

export class ServiceUnavailableError extends ApiError {
  override readonly name = "ServiceUnavailableError" as const;
  readonly status = 503;
  readonly code = "shutting_down";

  constructor() {
    super("The server is shutting down");
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return `${value.length} values (give the parameter once)`;
  const text = typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
