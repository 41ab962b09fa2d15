import http from "node:http";
import https from "node:https";
import { MAX_ATTEMPT_RESPONSE_CHARS } from "@mailnest/protocol";
import type { AttemptResult } from "../outbox/outbox.js";
import { signatureHeaders } from "./signing.js";

export interface WebhookRequest {
  url: string;
  secret: string;
  eventId: string;
  body: string;
}

/** Keep-alive connections to the endpoints, one pool per scheme; `destroy()` at shutdown. */
export interface WebhookAgents {
  http: http.Agent;
  https: https.Agent;
  destroy(): void;
}

export function createWebhookAgents(): WebhookAgents {
  // A few sockets per endpoint are plenty: deliveries to one endpoint go one at a time by default.
  const options = { keepAlive: true, maxSockets: 8 };
  const agents = { http: new http.Agent(options), https: new https.Agent(options) };
  return {
    ...agents,
    destroy() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/**
 * One signed POST, with node:http over keep-alive connections (a third of `fetch`'s CPU per
 * request, which matters when deliveries run beside SMTP ingest). 2xx is success; anything else, a
 * redirect included (it is not followed: the operator chose this URL, not whoever answers it), or
 * no answer at all is a failure to retry. Only the first `MAX_ATTEMPT_RESPONSE_CHARS` characters
 * of the answer are kept; the rest is read and dropped, so the connection can be reused.
 */
export function postWebhook(
  request: WebhookRequest,
  signal: AbortSignal,
  agents: WebhookAgents,
): Promise<AttemptResult> {
  const url = new URL(request.url);
  const secure = url.protocol === "https:";
  const body = Buffer.from(request.body, "utf8");
  const timestamp = Math.floor(Date.now() / 1000);
  return new Promise((resolve) => {
    const outgoing = (secure ? https : http).request(
      url,
      {
        method: "POST",
        agent: secure ? agents.https : agents.http,
        signal,
        headers: {
          "content-type": "application/json",
          "content-length": body.length,
          "user-agent": "Mailnest-Webhooks/1",
          ...signatureHeaders(request.secret, request.eventId, timestamp, request.body),
        },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          if (text.length < MAX_ATTEMPT_RESPONSE_CHARS) text += chunk;
        });
        response.on("error", () => {});
        response.on("close", () => {
          const answer = text === "" ? null : text.slice(0, MAX_ATTEMPT_RESPONSE_CHARS);
          if (status >= 200 && status < 300) {
            resolve({ ok: true, status, response: answer });
            return;
          }
          const error =
            status >= 300 && status < 400
              ? `HTTP ${status}: redirect to ${response.headers.location ?? "(no Location)"} not followed`
              : `HTTP ${status}`;
          resolve({ ok: false, status, error, response: answer });
        });
      },
    );
    outgoing.on("error", (error) => {
      resolve({ ok: false, status: null, error: networkError(error, signal) });
    });
    outgoing.end(body);
  });
}

function networkError(error: Error, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof Error ? reason.message : String(reason);
  }
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
