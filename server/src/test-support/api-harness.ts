import nodemailer, { type SendMailOptions, type Transporter } from "nodemailer";
import { createApp } from "../api/app.js";
import type { MetricsSource } from "../api/deps.js";
import { guardEventUpgrades } from "../api/http/event-upgrades.js";
import { type HttpServer, startHttpServer } from "../api/http/http-server.js";
import type { MailnestConfig } from "../config.js";
import { EventHub } from "../events/event-hub.js";
import type { Sandbox } from "../sandbox.js";
import { WaitRegistry } from "../waits/wait-registry.js";
import { startTestSandbox } from "./test-sandbox.js";

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** The harness's own HTTP server, with the waits it answers from (tests watch `waits.size`). */
export interface HarnessHttp extends HttpServer {
  readonly waits: WaitRegistry;
}

/**
 * A real sandbox (SMTP, store, bus) plus an HTTP API of the test's own config on port 0, sharing the
 * sandbox's store and bus, composed as `sandbox.ts` composes its own: the test gets the
 * `WaitRegistry` and can vary token, CORS and limits. Mail goes in through nodemailer over SMTP,
 * exactly as an app would send it.
 */
export class ApiHarness {
  private constructor(
    readonly sandbox: Sandbox,
    readonly http: HarnessHttp,
    readonly config: MailnestConfig,
    readonly transport: Transporter,
  ) {}

  static async start(
    cleanup: (task: () => unknown) => void,
    overrides: Partial<MailnestConfig> = {},
    extra: { metrics?: (sandbox: Sandbox) => MetricsSource } = {},
  ): Promise<ApiHarness> {
    const sandbox = await startTestSandbox(cleanup);
    const config: MailnestConfig = { ...sandbox.config, httpPort: 0, quiet: true, ...overrides };
    const { store, bus } = sandbox;
    const waits = new WaitRegistry(store, bus);
    const events = new EventHub(bus, { head: () => store.head });
    cleanup(() => events.close());
    const metrics = extra.metrics ? { metrics: extra.metrics(sandbox) } : {};
    const server = await startHttpServer(config, {
      app: createApp({ config, store, waits, ...metrics }),
      upgrades: guardEventUpgrades(config, events),
    });
    // As the sandbox closes: the waits first, so open ones answer 503, then the server (and the hub).
    const http: HarnessHttp = {
      port: server.port,
      url: server.url,
      waits,
      close: () => {
        waits.close();
        return server.close();
      },
    };
    cleanup(() => http.close());
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: sandbox.smtpPort,
      secure: false,
      // A few parallel connections, reused: bulk tests send hundreds of messages.
      pool: true,
      maxConnections: 4,
    });
    cleanup(() => transport.close());
    return new ApiHarness(sandbox, http, config, transport);
  }

  get url(): string {
    return this.http.url;
  }

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.config.apiToken !== null && !headers.has("authorization") && !path.includes("token=")) {
      headers.set("authorization", `Bearer ${this.config.apiToken}`);
    }
    return fetch(`${this.url}${path}`, { ...init, headers });
  }

  /** A JSON request; `body` is serialised with the right content type. */
  async json<T = unknown>(
    path: string,
    init: Omit<RequestInit, "body"> & { body?: unknown } = {},
  ): Promise<ApiResponse<T>> {
    const { body, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (body !== undefined) headers.set("content-type", "application/json");
    const response = await this.fetch(path, {
      ...rest,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : null) as T,
    };
  }

  /** Sends over SMTP with nodemailer; resolves with the stored id once the server answered 250. */
  async send(mail: SendMailOptions): Promise<string> {
    const info = await this.transport.sendMail({ from: "app@example.test", ...mail });
    const id = /queued as ([0-9a-z]{26})/.exec(String(info.response))?.[1];
    if (!id) throw new Error(`The server did not report a stored id: ${info.response}`);
    return id;
  }
}

/** `/api/inboxes/a%40b.test…` */
export function inboxPath(address: string, rest = ""): string {
  return `/api/inboxes/${encodeURIComponent(address)}${rest}`;
}
