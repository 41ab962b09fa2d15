import { describeValue } from "../util/describe.js";

export interface WaitOptions {
  /**
   * How long to wait in total, in ms; long waits are split into several server long-polls, and a
   * server restart within this time is ridden out (docs/sdk.md, "Restarts").
   * @default the client's `timeout` (10 000)
   */
  timeout?: number;
  /** Aborts the wait; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface ExpectNoMessageOptions {
  /** How long to watch for an unwanted message, in ms. @default 1000 */
  within?: number;
  signal?: AbortSignal;
}

export interface ResolvedWait {
  timeout: number;
  signal: AbortSignal | undefined;
}

export const DEFAULT_NO_MESSAGE_WINDOW_MS = 1000;

/** Validates wait options (a `TypeError` says what was expected) and fills in the default timeout. */
export function resolveWaitOptions(
  options: unknown,
  defaultTimeout: number,
  known: readonly string[] = ["timeout", "signal"],
  timeoutKey = "timeout",
): ResolvedWait {
  if (options === undefined) return { timeout: defaultTimeout, signal: undefined };
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `Expected options to be an object such as { ${timeoutKey}: 5000 }; got ${describeValue(options)}`,
    );
  }
  const fields = options as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!known.includes(key)) {
      throw new TypeError(`Unknown option "${key}"; expected one of: ${known.join(", ")}`);
    }
  }
  const timeout = fields[timeoutKey] ?? defaultTimeout;
  if (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout < 0) {
    throw new TypeError(
      `Expected ${timeoutKey} to be a number of milliseconds >= 0; got ${describeValue(timeout)}`,
    );
  }
  const signal = fields.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Expected signal to be an AbortSignal; got ${describeValue(signal)}`);
  }
  return { timeout, signal };
}

export function validateCount(count: unknown): number {
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 1) {
    throw new TypeError(`Expected count to be a whole number of messages >= 1; got ${describeValue(count)}`);
  }
  return count;
}
