import { describeValue } from "../util/describe.js";

export interface MailnestOptions {
  /**
   * Where the server's HTTP API listens.
   * @default process.env.MAILNEST_URL, else "http://127.0.0.1:8025"
   */
  url?: string;
  /**
   * The API token, when the server runs with `--api-token`.
   * @default process.env.MAILNEST_API_TOKEN, else none
   */
  token?: string | null;
  /** Default total timeout of every wait, in ms. @default 10000 */
  timeout?: number;
  /**
   * How long a plain (non-waiting) call may take, in ms, retries through a server restart included
   * (docs/sdk.md, "Restarts"). @default 30000
   */
  requestTimeout?: number;
  /**
   * The longest single long-poll request, in ms; longer waits re-issue it. Keep it below the idle
   * timeout of any proxy between the tests and the server. @default 25000
   */
  maxRequestWait?: number;
}

export interface ResolvedOptions {
  url: string;
  token: string | null;
  timeout: number;
  requestTimeout: number;
  maxRequestWait: number;
}

export const DEFAULT_URL = "http://127.0.0.1:8025";
const KNOWN_OPTIONS = ["url", "token", "timeout", "requestTimeout", "maxRequestWait"];

/** Environment variables by name; `process.env` where there is one. */
export type Environment = Readonly<Record<string, string | undefined>>;

export function resolveOptions(options: MailnestOptions, env: Environment = processEnv()): ResolvedOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `Expected Mailnest options to be an object such as { url: "http://127.0.0.1:8025" }; got ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.includes(key)) {
      throw new TypeError(`Unknown Mailnest option "${key}"; expected one of: ${KNOWN_OPTIONS.join(", ")}`);
    }
  }
  const url = options.url ?? (env.MAILNEST_URL || DEFAULT_URL);
  if (typeof url !== "string" || !isHttpUrl(url)) {
    const origin = options.url === undefined && env.MAILNEST_URL ? "MAILNEST_URL" : "url";
    throw new TypeError(
      `Expected ${origin} to be an http(s) URL such as "http://127.0.0.1:8025"; got ${describeValue(url)}`,
    );
  }
  const token = options.token === undefined ? env.MAILNEST_API_TOKEN || null : options.token;
  if (token !== null && (typeof token !== "string" || token === "")) {
    throw new TypeError(`Expected token to be a non-empty string or null; got ${describeValue(token)}`);
  }
  return {
    url,
    token,
    timeout: milliseconds(options, "timeout", 10_000, 0),
    requestTimeout: milliseconds(options, "requestTimeout", 30_000, 1),
    maxRequestWait: milliseconds(options, "maxRequestWait", 25_000, 1),
  };
}

function milliseconds(
  options: MailnestOptions,
  key: "timeout" | "requestTimeout" | "maxRequestWait",
  fallback: number,
  min: number,
): number {
  const value = options[key] ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new TypeError(
      `Expected ${key} to be a number of milliseconds >= ${min}; got ${describeValue(value)}`,
    );
  }
  return value;
}

/** `process.env` in Node, Bun and Deno's Node mode; nothing in a browser or an edge runtime without it. */
function processEnv(): Environment {
  return (globalThis as { process?: { env?: Environment } }).process?.env ?? {};
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}
