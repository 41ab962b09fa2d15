import {
  apiPaths,
  type MessageSummary,
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
  type WebhookEventType,
} from "@mailnest/protocol";

/** What an outbox job of a webhook endpoint carries: the event and the id it is signed under. */
export interface WebhookPayload {
  /** `webhook-id`: one per event, the same on every attempt and redelivery. */
  eventId: string;
  event: WebhookEvent;
}

export function messageReceived(message: MessageSummary, baseUrl: string, timestamp: string): WebhookEvent {
  return {
    type: "message.received",
    timestamp,
    data: {
      message,
      links: {
        message: new URL(apiPaths.message(message.id), baseUrl).href,
        raw: new URL(apiPaths.messageRaw(message.id), baseUrl).href,
      },
    },
  };
}

export function messageDeleted(id: string, inboxes: string[], timestamp: string): WebhookEvent {
  return { type: "message.deleted", timestamp, data: { id, inboxes } };
}

export function inboxCleared(address: string, timestamp: string): WebhookEvent {
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
