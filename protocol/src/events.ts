import type { MessageSummary } from "./message.js";

/**
 * The WebSocket at `/api/events` (docs/api.md, "Live events"). Every frame is `{ type, data }`;
 * the server sends `hello` first, then what the subscription asks for.
 */

/** The server's events, by frame type. A new kind of event is one new entry here. */
export interface ServerEventData {
  hello: { head: number };
  subscribed: { inboxes: "*" | string[] };
  "message.received": { message: MessageSummary };
  "message.updated": { message: MessageSummary };
  "message.deleted": { id: string; inboxes: string[] };
  "inbox.created": { address: string };
  "inbox.cleared": { address: string };
  "inbox.deleted": { address: string };
  heartbeat: { time: string };
  error: { code: "invalid_frame"; message: string };
}

export type ServerEventType = keyof ServerEventData;

/** One server → client frame; `type` decides the shape of `data`. */
export type ServerFrame = { [K in ServerEventType]: { type: K; data: ServerEventData[K] } }[ServerEventType];

/** Client → server: choose the inboxes to hear about (`"*"` = all, the default). */
export interface SubscribeFrame {
  type: "subscribe";
  data: { inboxes: "*" | string[] };
}

export type ClientFrame = SubscribeFrame;

/** The path of the WebSocket. */
export const EVENTS_PATH = "/api/events";
/** At most this many inboxes in one `subscribe`. */
export const MAX_SUBSCRIBED_INBOXES = 1000;
/** A client frame larger than this closes the socket (1009). */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;
