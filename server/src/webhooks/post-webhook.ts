import { MAX_ATTEMPT_RESPONSE_CHARS } from "@mailnest/protocol";
import type { AttemptResult } from "../outbox/outbox.js";
import { signatureHeaders } from "./signing.js";

export interface WebhookRequest {
  url: string;
  secret: string;
  eventId: string;
  body: string;
}

/** `fetch`, injectable so a test can watch requests; the global one otherwise. */
export type FetchFunction = typeof fetch;

/**
 * One signed POST. 2xx is success; anything else, a redirect included (it is not followed: the
 * operator chose this URL, not whoever answers it), or no answer at all is a failure to retry.
 * Only the first `MAX_ATTEMPT_RESPONSE_CHARS` characters of the answer are read.
 */
export async function postWebhook(
  request: WebhookRequest,
  signal: AbortSignal,
  fetchFunction: FetchFunction = fetch,
): Promise<AttemptResult> {
  const timestamp = Math.floor(Date.now() / 1000);
  let response: Response;
  try {
    response = await fetchFunction(request.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Mailnest-Webhooks/1",
        ...signatureHeaders(request.secret, request.eventId, timestamp, request.body),
      },
      body: request.body,
      redirect: "manual",
      signal,
    });
  } catch (error) {
    return { ok: false, status: null, error: networkError(error, signal) };
  }
  const text = await readStart(response).catch(() => null);
  const { status } = response;
  if (status >= 200 && status < 300) return { ok: true, status, response: text };
  const error =
    status >= 300 && status < 400
      ? `HTTP ${status}: redirect to ${response.headers.get("location") ?? "(no Location)"} not followed`
      : `HTTP ${status}`;
  return { ok: false, status, error, response: text };
}

/** The start of the body as text, then the rest is cancelled. */
async function readStart(response: Response): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < MAX_ATTEMPT_RESPONSE_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text === "" ? null : text.slice(0, MAX_ATTEMPT_RESPONSE_CHARS);
}

/** undici hides the useful part ("ECONNREFUSED 127.0.0.1:9") in `cause`. */
function networkError(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof Error ? reason.message : String(reason);
  }
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return cause?.message ? `${message}: ${cause.message}` : message;
}
