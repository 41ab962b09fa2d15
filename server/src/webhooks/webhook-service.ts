import path from "node:path";
import {
  type CreatedWebhookEndpoint,
  type CreateWebhookRequest,
  type DeliveryAttempt,
  MAX_WEBHOOK_PAYLOAD_BYTES,
  type MessageSummary,
  type UpdateWebhookRequest,
  WEBHOOK_EVENT_TYPES,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
} from "@mailnest/protocol";
import type { EventBus } from "../events/bus.js";
import { newId } from "../outbox/new-id.js";
import { type Job, Outbox, OutboxLookupError } from "../outbox/outbox.js";
import { progressOf } from "../outbox/outbox-state.js";
import type { RetryPolicy } from "../outbox/retry-policy.js";
import type { SharedOutboxes } from "../outbox/shared-outboxes.js";
import type { MessageStore } from "../store/message-store.js";
import { unknownField } from "../unknown-field.js";
import { normalizeWebhookUrl } from "./endpoint-url.js";
import { createWebhookAgents, postWebhook, type WebhookAgents } from "./post-webhook.js";
import { generateSecret, secretProblem } from "./signing.js";
import { InvalidWebhookError, UnknownWebhookError, WebhookFromFlagError } from "./webhook-errors.js";
import {
  bodyBytesAtMost,
  inboxCleared,
  messageDeleted,
  messageReceived,
  parseEventTypes,
  type QueuedEvent,
  type WebhookPayload,
  withLinks,
} from "./webhook-events.js";

/** What the outbox keeps about an endpoint (its lane). */
interface EndpointMeta {
  url: string;
  secret: string;
  /** null: every kind, including kinds added later. */
  events: WebhookEventType[] | null;
  description: string;
  source: "cli" | "api";
  createdAt: string;
  /**
   * The store head when the endpoint started wanting `message.received`: messages up to it are
   * not its business. Catch-up after a crash starts after this or after its last queued message.
   */
  afterSequence: number;
}

/** An endpoint given on the command line (`--webhook <url>`). */
export interface CliWebhook {
  url: string;
  /** `--webhook-secret`; generated (and kept in the data dir) when absent. */
  secret?: string;
}

export interface WebhookServiceOptions {
  /** `<dataDir>/outbox/webhooks.journal`; null = memory only. Unused with `shared`. */
  dataDir: string | null;
  /**
   * Keep endpoints and deliveries in these shared outboxes (PostgreSQL, docs/scaling.md "Webhooks"):
   * every instance then shows the same endpoints and delivery log, and one of them delivers.
   */
  shared?: SharedOutboxes | null;
  bus: EventBus;
  /** Read at startup to queue what a crash kept out of the journal (see `catchUp`). */
  store: Pick<MessageStore, "head" | "list">;
  /**
   * Queue at startup what the store holds past an endpoint's last queued message. Off when several
   * instances share the store (PostgreSQL, docs/scaling.md): the store does not say which instance
   * took a message, and another instance's mail is that instance's to send, so this instance would
   * send it a second time. @default true
   */
  catchUp?: boolean;
  /** Base of the links in `message.received` (the sandbox's HTTP URL). */
  baseUrl: () => string;
  /** The `--webhook` endpoints; CLI endpoints no longer given are removed. */
  cliEndpoints?: CliWebhook[];
  retry?: Partial<RetryPolicy>;
  /** @default 10_000 */
  attemptTimeoutMs?: number;
  /** Requests in flight per endpoint. 1 (the default) delivers strictly in order. */
  concurrency?: number;
  /** @default MAX_WEBHOOK_PAYLOAD_BYTES */
  maxPayloadBytes?: number;
  /** Delivered and dead deliveries kept per endpoint. @default 1000 */
  keepDeliveries?: number;
  /** Deliveries waiting per endpoint before new ones are logged dead. @default 10_000 */
  maxPending?: number;
}

const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * Webhooks (docs/integrations.md). Listens to the bus and only *queues* there: the listener runs
 * inside the store's announcement of a new message, before the SMTP client gets its 250, so it
 * does no I/O. The outbox writes each delivery to its journal in the background (fdatasync'd within
 * a second, off the disk path the 250 waits for) and sends it, signed, in order per endpoint, with
 * retries.
 *
 * The window between a 250 and the delivery's journal record reaching the disk is covered at the
 * next start: messages stored after the last one queued for an endpoint are queued then (from the
 * store, whose 250 is durable). `message.deleted` and `inbox.cleared` in that window (a few
 * milliseconds before a `kill -9`) are not replayed.
 */
export class WebhookService {
  readonly #outbox: Outbox<WebhookPayload, EndpointMeta>;
  readonly #options: WebhookServiceOptions;
  readonly #maxPayloadBytes: number;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #agents: WebhookAgents;

  private constructor(
    outbox: Outbox<WebhookPayload, EndpointMeta>,
    options: WebhookServiceOptions,
    agents: WebhookAgents,
  ) {
    this.#outbox = outbox;
    this.#agents = agents;
    this.#options = options;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? MAX_WEBHOOK_PAYLOAD_BYTES;
  }

  /**
   * Replays the journal, applies the `--webhook` endpoints, queues what a crash left out and
   * subscribes to the bus. Open it after the store and before SMTP accepts mail; call `start()` to
   * begin delivering once the HTTP server (which the links point to) is listening.
   */
  static async open(options: WebhookServiceOptions): Promise<WebhookService> {
    const agents = createWebhookAgents();
    const outbox: Outbox<WebhookPayload, EndpointMeta> = await Outbox.open({
      file: options.dataDir === null ? null : path.join(options.dataDir, "outbox", "webhooks.journal"),
      shared: options.shared ? { outboxes: options.shared, name: "webhooks" } : null,
      jobIdPrefix: "dl",
      attemptTimeoutMs: options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.keepDeliveries === undefined ? {} : { keepFinishedPerLane: options.keepDeliveries }),
      ...(options.maxPending === undefined ? {} : { maxPendingPerLane: options.maxPending }),
      perform: (job, signal) => {
        const meta = outbox.lane(job.lane)?.meta;
        if (!meta) return Promise.resolve({ ok: false, status: null, error: "the endpoint was deleted" });
        const request = {
          url: meta.url,
          secret: meta.secret,
          eventId: job.payload.eventId,
          body: JSON.stringify(withLinks(job.payload.event, options.baseUrl())),
        };
        return postWebhook(request, signal, agents);
      },
    });
    const service = new WebhookService(outbox, options, agents);
    try {
      // Alone among instances sharing the journal: two starting at once add one endpoint, not two.
      await outbox.exclusive(() => service.#applyCliEndpoints(options.cliEndpoints ?? []));
      if (options.catchUp ?? true) await service.#catchUp();
      service.#subscribe();
    } catch (error) {
      await outbox.close();
      agents.destroy();
      throw error;
    }
    return service;
  }

  /** Starts delivering: everything pending (after a restart, oldest first per endpoint) and all that comes. */
  start(): void {
    this.#outbox.start();
  }

  /**
   * Whether this instance makes the delivery attempts: always, unless the outboxes are shared and
   * another instance has the turn (`mailnest_webhooks_delivering` in `/metrics`).
   */
  get delivering(): boolean {
    return this.#outbox.delivering;
  }

  endpoints(): WebhookEndpoint[] {
    return this.#outbox.lanes().map((lane) => this.#endpointView(lane.id));
  }

  endpoint(id: string): WebhookEndpoint {
    return this.#endpointView(this.#lane(id).id);
  }

  secret(id: string): string {
    return this.#lane(id).meta.secret;
  }

  async add(request: CreateWebhookRequest, source: "cli" | "api" = "api"): Promise<CreatedWebhookEndpoint> {
    refuseUnknown(request, FIELDS);
    const url = parseUrl(request.url);
    const events = request.events === undefined ? null : parseEvents(request.events);
    const secret = request.secret === undefined ? generateSecret() : parseSecret(request.secret);
    if (request.description !== undefined && typeof request.description !== "string") {
      throw new InvalidWebhookError("Expected description to be a string", "description");
    }
    if (request.paused !== undefined && typeof request.paused !== "boolean") {
      throw new InvalidWebhookError("Expected paused to be true or false", "paused");
    }
    const id = newId("ep");
    const meta: EndpointMeta = {
      url,
      secret,
      events,
      description: request.description ?? "",
      source,
      createdAt: new Date().toISOString(),
      afterSequence: this.#options.store.head,
    };
    await this.#outbox.putLane(id, meta, this.#settings(request.paused ?? false));
    return { ...this.#endpointView(id), secret };
  }

  async update(id: string, request: UpdateWebhookRequest): Promise<WebhookEndpoint> {
    refuseUnknown(request, FIELDS);
    const lane = this.#lane(id);
    const meta = { ...lane.meta };
    // A new URL or secret applies from the next attempt on, pending deliveries included.
    if (request.url !== undefined) meta.url = parseUrl(request.url);
    if (lane.meta.source === "cli" && meta.url !== lane.meta.url) {
      throw new WebhookFromFlagError(
        `Endpoint ${id} comes from --webhook, which sets its URL: change the flag and restart (its secret, events, description and paused state can be changed here)`,
      );
    }
    if (request.secret !== undefined) meta.secret = parseSecret(request.secret);
    if (request.events !== undefined) {
      // null: every kind again, later ones included (what an endpoint made without `events` gets).
      const events = request.events === null ? null : parseEvents(request.events);
      if (!wants(meta.events, "message.received") && wants(events, "message.received")) {
        meta.afterSequence = this.#options.store.head;
      }
      meta.events = events;
    }
    if (request.description !== undefined) {
      if (typeof request.description !== "string") {
        throw new InvalidWebhookError("Expected description to be a string", "description");
      }
      meta.description = request.description;
    }
    if (request.paused !== undefined && typeof request.paused !== "boolean") {
      throw new InvalidWebhookError("Expected paused to be true or false", "paused");
    }
    await this.#outbox.putLane(id, meta, this.#settings(request.paused ?? lane.paused));
    return this.#endpointView(id);
  }

  /** Deletes the endpoint and its pending deliveries and log. */
  async remove(id: string): Promise<void> {
    if (this.#lane(id).meta.source === "cli") {
      throw new WebhookFromFlagError(
        `Endpoint ${id} comes from --webhook, which would add it again at the next start, under a new id: remove the flag, or pause the endpoint here`,
      );
    }
    await this.#outbox.dropLane(id);
  }

  /** An endpoint's delivery log, newest first. */
  deliveries(endpointId: string, options: { limit?: number } = {}): WebhookDelivery[] {
    this.#lane(endpointId);
    return this.#outbox
      .jobs(endpointId)
      .slice(0, options.limit ?? Number.POSITIVE_INFINITY)
      .map((job) => this.#deliveryView(job));
  }

  delivery(id: string): WebhookDelivery {
    const job = this.#outbox.job(id);
    if (!job) throw new UnknownWebhookError("delivery", id);
    return this.#deliveryView(job);
  }

  /** Queues the delivery's event again, at the end of its endpoint's queue, with the same `webhook-id`. */
  async redeliver(id: string): Promise<WebhookDelivery> {
    try {
      return this.#deliveryView(await this.#outbox.redeliver(id));
    } catch (error) {
      if (error instanceof OutboxLookupError) throw new UnknownWebhookError("delivery", id);
      throw error;
    }
  }

  /** Called with each delivery whose state changed (for the event stream and tests). */
  onDeliveryChange(listener: (delivery: WebhookDelivery) => void): () => void {
    return this.#outbox.onChange((job) => listener(this.#deliveryView(job)));
  }

  /** Stops listening, interrupts attempts in flight (they are made again after a restart), closes the journal. */
  async close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await this.#outbox.close();
    this.#agents.destroy();
  }

  #subscribe(): void {
    const { bus } = this.#options;
    this.#unsubscribe.push(
      // Only changes made on this instance: with several instances on one database (docs/scaling.md)
      // each also hears the others' changes, and each change must reach an endpoint once.
      bus.on("message.stored", ({ message }, { origin }) => {
        if (origin === "here") this.#publishReceived(message, new Date().toISOString());
      }),
      bus.on("message.deleted", ({ id, inboxes }, { origin }) => {
        if (origin === "here") this.#publish(messageDeleted(id, inboxes, new Date().toISOString()), null);
      }),
      bus.on("inbox.cleared", ({ address }, { origin }) => {
        if (origin === "here") this.#publish(inboxCleared(address, new Date().toISOString()), null);
      }),
    );
  }

  #publishReceived(message: MessageSummary, timestamp: string, only?: string): void {
    this.#publish(messageReceived(message, timestamp), message.sequence, only);
  }

  /** Queues one event for every endpoint that wants it (or only `only`). No I/O here: see the class comment. */
  #publish(event: QueuedEvent, sequence: number | null, only?: string): void {
    /** The body's size when it is over the limit, null when not; undefined until an endpoint wants it. */
    let oversize: number | null | undefined;
    // Made for the first endpoint that wants the event: most sandboxes have none, and every message
    // stored comes through here.
    let payload: WebhookPayload | null = null;
    for (const lane of this.#outbox.lanes()) {
      if (only !== undefined && lane.id !== only) continue;
      if (!wants(lane.meta.events, event.type)) continue;
      if (sequence !== null && sequence <= lane.meta.afterSequence) continue;
      payload ??= { eventId: newId("msg"), event: ownCopy(event) };
      if (oversize === undefined) oversize = this.#bodyBytesIfOverLimit(event);
      const deadReason =
        oversize !== null
          ? `not sent: the body would be ${oversize} bytes (limit ${this.#maxPayloadBytes})`
          : null;
      // Not fdatasync'd on this path: a `message.received` lost to a crash is queued again from the
      // store at the next start (`#catchUp`).
      this.#outbox
        .enqueue(lane.id, payload, { sequence, deadReason, durable: false })
        .catch((error: unknown) => {
          console.error(`mailnest: could not queue a webhook delivery to ${lane.meta.url}:`, error);
        });
    }
  }

  /**
   * The size of the body POSTed for `event` when it is over the limit, else null. Decided from an
   * upper bound first: building the body (two URLs and the JSON) to measure it cost about 10 µs on
   * the main thread for every message stored while an endpoint exists, and a summary is far below
   * the limit.
   */
  #bodyBytesIfOverLimit(event: QueuedEvent): number | null {
    const baseUrl = this.#options.baseUrl();
    if (bodyBytesAtMost(event, baseUrl) <= this.#maxPayloadBytes) return null;
    const bytes = Buffer.byteLength(JSON.stringify(withLinks(event, baseUrl)));
    return bytes > this.#maxPayloadBytes ? bytes : null;
  }

  /**
   * Queues `message.received` for messages the store holds but the journal never recorded for an
   * endpoint: stored after its last queued message, in the few milliseconds before a crash. Sequences
   * only grow and the journal keeps each endpoint's highest, so nothing before it is missing.
   */
  async #catchUp(): Promise<void> {
    const { store } = this.#options;
    for (const lane of this.#outbox.lanes()) {
      if (!wants(lane.meta.events, "message.received")) continue;
      const after = Math.max(lane.meta.afterSequence, lane.lastSequence);
      if (store.head <= after) continue;
      const missed: MessageSummary[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.list({ since: after, limit: 500, ...(cursor === null ? {} : { cursor }) });
        missed.push(...page.messages);
        cursor = page.nextCursor;
      } while (cursor !== null);
      missed.sort((a, b) => a.sequence - b.sequence);
      for (const message of missed) this.#publishReceived(message, message.receivedAt, lane.id);
    }
  }

  async #applyCliEndpoints(wanted: CliWebhook[]): Promise<void> {
    const urls = new Map(wanted.map((entry) => [parseUrl(entry.url, "--webhook"), entry]));
    for (const lane of this.#outbox.lanes()) {
      if (lane.meta.source !== "cli") continue;
      const entry = urls.get(lane.meta.url);
      if (!entry) {
        // Shared endpoints are every instance's: one started without the flag leaves them alone.
        if (!this.#options.shared) await this.#outbox.dropLane(lane.id);
        continue;
      }
      urls.delete(lane.meta.url);
      const secret =
        entry.secret === undefined ? lane.meta.secret : parseSecret(entry.secret, "--webhook-secret");
      if (secret !== lane.meta.secret) {
        await this.#outbox.putLane(lane.id, { ...lane.meta, secret }, this.#settings(lane.paused));
      }
    }
    for (const [url, entry] of urls) {
      await this.add({ url, ...(entry.secret === undefined ? {} : { secret: entry.secret }) }, "cli");
    }
  }

  #settings(paused: boolean) {
    return { paused, concurrency: this.#options.concurrency ?? 1 };
  }

  #lane(id: string) {
    const lane = this.#outbox.lane(id);
    if (!lane) throw new UnknownWebhookError("endpoint", id);
    return lane;
  }

  #endpointView(id: string): WebhookEndpoint {
    const lane = this.#lane(id);
    const { meta } = lane;
    let delivered = 0;
    let dead = 0;
    let lastAttempt: DeliveryAttempt | null = null;
    for (const job of [...lane.finished.values(), ...lane.pending.values()]) {
      if (job.state === "delivered") delivered += 1;
      if (job.state === "dead") dead += 1;
      const attempt = job.attempts.at(-1);
      if (attempt && (lastAttempt === null || attempt.at > lastAttempt.at)) lastAttempt = attempt;
    }
    return {
      id,
      url: meta.url,
      events: meta.events ?? [...WEBHOOK_EVENT_TYPES],
      allEvents: meta.events === null,
      description: meta.description,
      paused: lane.paused,
      source: meta.source,
      createdAt: meta.createdAt,
      pending: lane.pending.size,
      delivered,
      dead,
      lastAttempt,
    };
  }

  #deliveryView(job: Readonly<Job<WebhookPayload>>): WebhookDelivery {
    return {
      id: job.id,
      endpointId: job.lane,
      eventId: job.payload.eventId,
      eventType: job.payload.event.type,
      ...progressOf(job),
      payload: withLinks(job.payload.event, this.#options.baseUrl()),
    };
  }
}

/**
 * The event with a summary of its own: the store's index changes its summaries in place (`read`,
 * `inboxes`), and a queued event must say what was received, as its journal record (what a restart
 * sends) does. Shallow is enough: the index replaces those fields, it never edits the lists.
 */
function ownCopy(event: QueuedEvent): QueuedEvent {
  return event.type === "message.received"
    ? { ...event, data: { message: { ...event.data.message } } }
    : event;
}

function wants(events: WebhookEventType[] | null, type: WebhookEventType): boolean {
  return events === null || events.includes(type);
}

function parseUrl(value: unknown, parameter = "url"): string {
  if (typeof value !== "string") throw new InvalidWebhookError("Expected url to be a string", parameter);
  try {
    return normalizeWebhookUrl(value);
  } catch (error) {
    throw new InvalidWebhookError((error as Error).message, parameter);
  }
}

function parseEvents(value: unknown): WebhookEventType[] {
  try {
    return parseEventTypes(value);
  } catch (error) {
    throw new InvalidWebhookError((error as Error).message, "events");
  }
}

function parseSecret(value: unknown, parameter = "secret"): string {
  if (typeof value !== "string") throw new InvalidWebhookError("Expected secret to be a string", parameter);
  const problem = secretProblem(value);
  if (problem !== null) throw new InvalidWebhookError(`Unusable webhook secret: ${problem}`, parameter);
  return value;
}

/** What a create or an update may carry (an update changes any of them). */
const FIELDS = ["url", "events", "description", "secret", "paused"] as const;

function refuseUnknown(request: object, known: readonly string[]): void {
  const unknown = unknownField(request, known);
  if (unknown !== null) throw new InvalidWebhookError(unknown.message, unknown.field);
}
