import { readToken, requestToken } from "./token.js";

/** A non-2xx answer from the API, carrying the `{ error: { code, message } }` body when there was one. */
export class ApiError extends Error {
  override name = "ApiError" as const;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly method: string,
    readonly url: string,
  ) {
    super(`${method} ${url} failed with ${status} ${code}: ${message}`);
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

export function isNotFound(error: unknown): boolean {
  return isApiError(error) && error.status === 404;
}

/**
 * `fetch` against the API with the token attached. A 401 asks the user for the token (once for any
 * number of concurrent requests) and retries; every other non-2xx becomes an `ApiError`.
 */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const method = init.method ?? "GET";
  for (;;) {
    const token = readToken();
    const headers = new Headers(init.headers);
    if (token) headers.set("Authorization", `Bearer ${token}`);
    const response = await fetch(path, { ...init, headers });
    if (response.status === 401) {
      // Each round waits for the user, so this loop only turns as fast as someone types tokens.
      await requestToken(token !== null);
      continue;
    }
    if (!response.ok) throw await toApiError(response, method, path);
    return response;
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await apiFetch(path, signal ? { signal } : {});
  return (await response.json()) as T;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T | null> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  const response = await apiFetch(path, init);
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? (JSON.parse(text) as T) : null;
}

/** For URLs the browser fetches itself (downloads, the WebSocket), where no header can be set. */
export function withToken(path: string): string {
  const token = readToken();
  if (!token) return path;
  return `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

async function toApiError(response: Response, method: string, path: string): Promise<ApiError> {
  let code = "http_error";
  let message = response.statusText || "request failed";
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === "string") code = body.error.code;
    if (typeof body.error?.message === "string") message = body.error.message;
  } catch {
    // Not a JSON error body (a proxy's HTML page, say): keep the status text.
  }
  return new ApiError(response.status, code, message, method, path);
}
