import http from "node:http";

/**
 * Holds `count` long-poll waits open on inboxes that never receive mail, one keep-alive socket
 * each, re-issuing a wait whenever the server's cap answers it (408). `stop()` drops them all.
 * `open` says how many are actually held, so a run can show they were in place.
 */
export class IdleWaiters {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  readonly #requests = new Set<http.ClientRequest>();
  #stopped = false;
  /** Waits the server answered with something other than its timeout: a bug for an idle inbox. */
  unexpectedAnswers = 0;
  failures = 0;

  constructor(
    readonly baseUrl: string,
    readonly count: number,
    readonly timeoutMs: number,
  ) {
    const url = new URL(baseUrl);
    if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost" && url.hostname !== "[::1]") {
      throw new Error(`idle waiters only target loopback, got ${url.hostname}`);
    }
    for (let i = 0; i < count; i += 1) this.#wait(`idle-${i}@mailnest.test`);
  }

  #wait(address: string): void {
    if (this.#stopped) return;
    const path = `/api/inboxes/${encodeURIComponent(address)}/wait?timeout=${this.timeoutMs}`;
    const request = http.get(`${this.baseUrl}${path}`, { agent: this.#agent }, (response) => {
      response.resume();
      response.on("end", () => {
        this.#requests.delete(request);
        // Anything but the timeout (a 404 for an unknown inbox, a 5xx) is not retried: a tight
        // re-issue loop would measure itself instead of idle waiters.
        if (response.statusCode === 408) this.#wait(address);
        else this.unexpectedAnswers += 1;
      });
    });
    request.on("error", () => {
      this.#requests.delete(request);
      if (!this.#stopped) this.failures += 1;
    });
    this.#requests.add(request);
  }

  get open(): number {
    return this.#requests.size;
  }

  stop(): void {
    this.#stopped = true;
    for (const request of this.#requests) request.destroy();
    this.#requests.clear();
    this.#agent.destroy();
  }
}
