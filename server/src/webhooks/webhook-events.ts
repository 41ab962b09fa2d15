import {
  apiPaths,
  type InboxClearedEvent,
  type MessageDeletedEvent,
  type MessageSummary,
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
  type WebhookEventType,
} from "@mailnest/protocol";
import { jsonBytesAtMost } from "./json-size-bound.js";

/**
 * An event as queued. `message.received` is kept without its links: they are added when the body is
 * built for an attempt (`withLinks`), from the sandbox's address at that time, so they stay right
 * when the sandbox restarts on another port.
 */
export type QueuedEvent =
  | { type: "message.received"; timestamp: string; data: { message: MessageSummary } }
  | MessageDeletedEvent
  | InboxClearedEvent;

/** What an outbox job of a webhook endpoint carries: the event and the id it is signed under. */
export interface WebhookPayload {
  /** `webhook-id`: one per event, the same on every attempt and redelivery. */
  eventId: string;
  event: QueuedEvent;
}

export function messageReceived(message: MessageSummary, timestamp: string): QueuedEvent {
  return { type: "message.received", timestamp, data: { message } };
}

/** The event as POSTed: `message.received` gets links to the full message and its raw bytes. */
export function withLinks(event: QueuedEvent, baseUrl: string): WebhookEvent {
  if (event.type !== "message.received") return event;
  const { message } = event.data;
  return {
    ...event,
    data: {
      message,
      links: {
        message: new URL(apiPaths.message(message.id), baseUrl).href,
        raw: new URL(apiPaths.messageRaw(message.id), baseUrl).href,
      },
    },
  };
}

/**
 * The most bytes the body POSTed for `event` can take, without building it: the event's bound
 * (`jsonBytesAtMost`), plus for `message.received` the exact size of its links.
 */
export function bodyBytesAtMost(event: QueuedEvent, baseUrl: string): number {
  const bytes = jsonBytesAtMost(event);
  return event.type === "message.received" ? bytes + linksBytes(baseUrl) : bytes;
}

/** Ids are 26 characters of [0-9a-z], never escaped: every message's links have the same size. */
const SAMPLE_ID = "0".repeat(26);
let lastLinks: { baseUrl: string; bytes: number } | null = null;

/**
 * What `withLinks` adds to the JSON of a `message.received` event for this base URL, in bytes.
 * Remembered for the last base URL (it changes only when the sandbox moves).
 */
export function linksBytes(baseUrl: string): number {
  if (lastLinks?.baseUrl !== baseUrl) {
    const bare: QueuedEvent = messageReceived({ id: SAMPLE_ID } as MessageSummary, "");
    const bytes =
      Buffer.byteLength(JSON.stringify(withLinks(bare, baseUrl))) - Buffer.byteLength(JSON.stringify(bare));
    lastLinks = { baseUrl, bytes };
  }
  return lastLinks.bytes;
}

export function messageDeleted(id: string, inboxes: string[], timestamp: string): MessageDeletedEvent {
  return { type: "message.deleted", timestamp, data: { id, inboxes } };
}

export function inboxCleared(address: string, timestamp: string): InboxClearedEvent {
  return { type: "inbox.cleared", timestamp, data: { address } };
}

/** Checks an `events` list from a request or flag; throws a `TypeError` naming the unknown kind. */
export function parseEventTypes(value: unknown): WebhookEventType[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(`Expected a non-empty list of event types (${WEBHOOK_EVENT_TYPES.join(", ")})`);
  }
  const known = new Set<string>(WEBHOOK_EVENT_TYPES);
  for (const entry of value) {
    if (typeof entry !== "string" || !known.has(entry)) {
      throw new TypeError(
        `Expected event types among ${WEBHOOK_EVENT_TYPES.join(", ")}, got ${JSON.stringify(entry)}`,
      );
    }
  }
  return [...new Set(value as WebhookEventType[])];
}
