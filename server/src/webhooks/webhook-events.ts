import {
  apiPaths,
  type InboxClearedEvent,
  type MessageDeletedEvent,
  type MessageSummary,
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
  type WebhookEventType,
} from "@mailnest/protocol";

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
