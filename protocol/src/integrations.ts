/**
 * Getting mail out of the sandbox (docs/integrations.md): webhooks, the send API, and release to a
 * real SMTP server. Webhook deliveries and releases share one durable queue on the server, so they
 * share the shapes of a delivery's state and attempts.
 */
import type { MessageSummary } from "./message.js";

/*
 * ---- Deliveries (webhooks and releases) ----
 */

/**
 * `pending`: waiting for its first attempt or backing off after a failure. `delivered`: an attempt
 * succeeded (HTTP 2xx; the relay accepted the message). `dead`: given up (the retry window is over,
 * or the failure was permanent, e.g. an SMTP 5xx); a dead delivery can be redelivered by hand.
 */
export type DeliveryState = "pending" | "delivered" | "dead";

/** One try at a delivery, as logged. */
export interface DeliveryAttempt {
  /**
   * 1 for the first attempt of this delivery.
   * @asType integer
   * @minimum 1
   */
  attempt: number;
  /**
   * When the attempt started.
   * @format date-time
   */
  at: string;
  /**
   * The HTTP status (webhooks) or SMTP reply code (releases) received, or null when none was
   * (connection refused, timeout, DNS failure).
   */
  status: number | null;
  /** @minimum 0 */
  latencyMs: number;
  /** Why the attempt failed, or what went wrong beside success (recipients a relay refused); null otherwise. */
  error: string | null;
  /** The start of the receiver's answer (at most `MAX_ATTEMPT_RESPONSE_CHARS` characters), for debugging. */
  response: string | null;
}

/** The start of a receiver's answer kept in an attempt's `response`. */
export const MAX_ATTEMPT_RESPONSE_CHARS = 500;

/** Where a webhook delivery or a release stands: shared by both, which go through one queue. */
export interface DeliveryProgress {
  state: DeliveryState;
  /** @format date-time */
  createdAt: string;
  /**
   * When the next attempt is due (pending ones), or null.
   * @format date-time
   */
  nextAttemptAt: string | null;
  /** Oldest first (the newest 50 when there were more). */
  attempts: DeliveryAttempt[];
  /** For a dead one: why it was given up (the last error, or why it was never attempted). */
  deadReason: string | null;
  /** The delivery or release this one repeats by hand (redeliver, retry), or null. */
  redeliveryOf: string | null;
}

/*
 * ---- Webhooks ----
 */

/**
 * What an endpoint can subscribe to. New kinds are added at the end; an endpoint created without
 * `events` receives every kind, including those added later.
 */
export type WebhookEventType = "message.received" | "message.deleted" | "inbox.cleared";

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = [
  "message.received",
  "message.deleted",
  "inbox.cleared",
];

/** Links to the full message, absolute, on the sandbox's own HTTP address. */
export interface MessageLinks {
  /** `GET` the full message (JSON). */
  message: string;
  /** `GET` the raw bytes as received. */
  raw: string;
}

/** A message was stored (over SMTP or through `POST /api/send`). */
export interface MessageReceivedEvent {
  type: "message.received";
  /** @format date-time */
  timestamp: string;
  data: { message: MessageSummary; links: MessageLinks };
}

export interface MessageDeletedEvent {
  type: "message.deleted";
  /** @format date-time */
  timestamp: string;
  data: { id: string; inboxes: string[] };
}

export interface InboxClearedEvent {
  type: "inbox.cleared";
  /** @format date-time */
  timestamp: string;
  data: { address: string };
}

/**
 * The JSON body POSTed to an endpoint, signed with the Standard Webhooks scheme: headers
 * `webhook-id` (the delivery's `eventId`, the same on every retry), `webhook-timestamp` (Unix
 * seconds of the attempt) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`
 * under the endpoint's secret).
 */
export type WebhookEvent = MessageReceivedEvent | MessageDeletedEvent | InboxClearedEvent;

export interface WebhookEndpoint {
  /** @pattern ^ep_[0-9a-z]{26}$ */
  id: string;
  /** Where events are POSTed: http or https, chosen by the operator (CLI flag or API), never by mail. */
  url: string;
  /** The kinds this endpoint receives; every kind when it was created without a list. */
  events: WebhookEventType[];
  /** True when the endpoint was created without `events`: it also receives kinds added later. */
  allEvents: boolean;
  description: string;
  /** A paused endpoint keeps queueing its deliveries and sends them, in order, once resumed. */
  paused: boolean;
  /** `cli`: from `--webhook` (recreated from the flags at every start); `api`: added through the API. */
  source: "cli" | "api";
  /** @format date-time */
  createdAt: string;
  /**
   * Deliveries not yet delivered or dead.
   * @minimum 0
   */
  pending: number;
  /**
   * Delivered deliveries in the kept log.
   * @minimum 0
   */
  delivered: number;
  /**
   * Dead deliveries in the kept log.
   * @minimum 0
   */
  dead: number;
  /** The most recent attempt of any delivery to this endpoint. */
  lastAttempt: DeliveryAttempt | null;
}

/** What creating an endpoint answers: the endpoint and its signing secret. */
export interface CreatedWebhookEndpoint extends WebhookEndpoint {
  /** `whsec_` + base64 of 24 to 64 random bytes. */
  secret: string;
}

/** `GET /api/webhooks/{id}/secret`. */
export interface WebhookSecret {
  /** @pattern ^whsec_[A-Za-z0-9+/]+=*$ */
  secret: string;
}

export interface CreateWebhookRequest {
  url: string;
  /** Omitted: every kind, including kinds added in later versions. */
  events?: WebhookEventType[];
  description?: string;
  /** A `whsec_` secret to sign with; omitted: one is generated. */
  secret?: string;
  paused?: boolean;
}

/** Fields left out are unchanged; a new `url` or `secret` applies from the next attempt on. */
export interface UpdateWebhookRequest {
  url?: string;
  /** A `whsec_` secret to sign with from now on. */
  secret?: string;
  paused?: boolean;
  /** The kinds to receive; `null` for every kind, those added in later versions included. */
  events?: WebhookEventType[] | null;
  description?: string;
}

export interface WebhookEndpointList {
  endpoints: WebhookEndpoint[];
}

export interface WebhookDelivery extends DeliveryProgress {
  /** @pattern ^dl_[0-9a-z]{26}$ */
  id: string;
  endpointId: string;
  /** The `webhook-id` header: the same on every attempt and on a redelivery, so receivers can deduplicate. */
  eventId: string;
  eventType: WebhookEventType;
  /** The body that is POSTed. */
  payload: WebhookEvent;
}

/** A delivery log, newest first. */
export interface WebhookDeliveryList {
  deliveries: WebhookDelivery[];
}

/** The largest webhook body; an event that would be larger is logged as dead, not sent. */
export const MAX_WEBHOOK_PAYLOAD_BYTES = 256 * 1024;

/*
 * ---- Send API ----
 */

/** `"ada@example.com"`, `"Ada <ada@example.com>"`, or `{ name, address }`. */
export type SendAddress = string | { name?: string; address: string };

export interface SendAttachment {
  filename: string;
  /** Guessed from the filename when omitted. */
  contentType?: string;
  /** The bytes, base64. */
  content: string;
  /** Makes the attachment inline, referable from the HTML as `cid:<contentId>`. */
  contentId?: string;
  disposition?: "attachment" | "inline";
}

/**
 * `POST /api/send`: a message built into MIME on the server and stored exactly as if it had come
 * over SMTP (inboxes, waits, events, webhooks). Its envelope says `submittedVia: "api"`. The
 * envelope recipients are `to`, `cc` and `bcc`; `bcc` is not written into the headers.
 */
export interface SendRequest {
  from: SendAddress;
  to?: SendAddress[];
  cc?: SendAddress[];
  bcc?: SendAddress[];
  replyTo?: SendAddress[];
  subject?: string;
  text?: string;
  html?: string;
  attachments?: SendAttachment[];
  /** Extra header fields. Fields that shape the MIME structure (Content-Type, MIME-Version, …) are refused. */
  headers?: Record<string, string>;
}

/*
 * ---- Release and relay ----
 */

/** `GET /api/relay`: whether a relay is configured, and where mail may go. */
export interface RelayStatus {
  configured: boolean;
  /** The relay's URL with the password replaced by `***`, or null. */
  url: string | null;
  /** `--relay-allow` patterns: a recipient is released only when it matches one. */
  allow: string[];
}

/** `POST /api/messages/{id}/release`. */
export interface ReleaseRequest {
  /** Each must match a `--relay-allow` pattern; otherwise nothing is released. */
  to: string[];
}

export interface Release extends DeliveryProgress {
  /** @pattern ^rl_[0-9a-z]{26}$ */
  id: string;
  messageId: string;
  recipients: string[];
  /** `api`: released by hand; `rule`: by an auto-relay rule. */
  source: "api" | "rule";
  /** The auto-relay rule, for `source: "rule"`. */
  ruleId: string | null;
}

/** Newest first. */
export interface ReleaseList {
  releases: Release[];
}

/** Every message with an envelope recipient matching `match` is also released. */
export interface RelayRule {
  /** @pattern ^rr_[0-9a-z]{26}$ */
  id: string;
  /** A recipient pattern (`*` stands for any characters except `@`), e.g. `*@staging.example.com`. */
  match: string;
  /** Where to release: these addresses; null: the matching recipients themselves. Each must be allowed. */
  relayTo: string[] | null;
  source: "cli" | "api";
  /** @format date-time */
  createdAt: string;
}

export interface RelayRuleRequest {
  match: string;
  relayTo?: string[];
}

export interface RelayRuleList {
  rules: RelayRule[];
}
