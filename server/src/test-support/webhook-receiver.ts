import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { WebhookEvent } from "@mailnest/protocol";
import { Webhook } from "standardwebhooks";

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered. */
  status: number;
  /** The verified, parsed body; null when verification failed (then `verifyError` says why). */
  event: WebhookEvent | null;
  verifyError: string | null;
}

export interface WebhookReceiverOptions {
  /** Verifies each request with the `standardwebhooks` library under this secret (set later with `useSecret`). */
  secret?: string;
  /** Answers, in order; once used up, 200. */
  statuses?: number[];
  /** Waits this long before answering each request. */
  delayMs?: number;
}

/**
 * A webhook receiver on 127.0.0.1 port 0, as a user would write one: it verifies every request
 * with the `standardwebhooks` npm package (not Mailnest's code) and answers scripted statuses.
 * Closed by `cleanup`.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  readonly #server: Server;
  readonly #statuses: number[];
  #delayMs: number;
  #verifier: Webhook | null;
  #waiters: Array<() => void> = [];

  private constructor(server: Server, options: WebhookReceiverOptions) {
    this.#server = server;
    this.#statuses = [...(options.statuses ?? [])];
    this.#delayMs = options.delayMs ?? 0;
    this.#verifier = options.secret ? new Webhook(options.secret) : null;
  }

  static async start(
    cleanup: (task: () => unknown) => void,
    options: WebhookReceiverOptions = {},
    port = 0,
  ): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | null = null;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        void receiver!.#answer(request.headers, Buffer.concat(chunks).toString("utf8"), (status) => {
          response.writeHead(status, { "content-type": "text/plain" }).end(`status ${status}`);
        });
      });
    });
    receiver = new WebhookReceiver(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    cleanup(() => receiver.close());
    return receiver;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  useSecret(secret: string): void {
    this.#verifier = new Webhook(secret);
  }

  setDelay(ms: number): void {
    this.#delayMs = ms;
  }

  /** Requests answered 2xx. */
  get accepted(): ReceivedWebhook[] {
    return this.received.filter((request) => request.status >= 200 && request.status < 300);
  }

  /** Resolves once `count` requests have been answered 2xx. */
  async waitForAccepted(count: number, timeoutMs = 15_000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.accepted.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `Timed out after ${timeoutMs} ms waiting for ${count} accepted webhooks; got ${this.accepted.length} of ${this.received.length} requests`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.accepted.slice(0, count);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #answer(headers: IncomingHttpHeaders, body: string, reply: (status: number) => void): Promise<void> {
    if (this.#delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#delayMs));
    let event: WebhookEvent | null = null;
    let verifyError: string | null = null;
    if (this.#verifier) {
      try {
        event = this.#verifier.verify(body, headers as Record<string, string>) as WebhookEvent;
      } catch (error) {
        verifyError = (error as Error).message;
      }
    }
    const status = verifyError !== null ? 401 : (this.#statuses.shift() ?? 200);
    this.received.push({ headers, body, status, event, verifyError });
    reply(status);
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
