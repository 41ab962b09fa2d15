/**
 * The wire types of the HTTP/WebSocket API (docs/api.md). The message shapes are the server's
 * domain model itself, imported as types only, so the viewer cannot drift from what the server sends.
 */
export type {
  Address,
  AttachmentMeta,
  Envelope,
  HeaderLine,
  Link,
  MessageSummary,
  StoredMessage,
  TlsInfo,
} from "../../../server/src/store/model.js";

import type { MessageSummary } from "../../../server/src/store/model.js";

export interface InboxInfo {
  address: string;
  messageCount: number;
  unreadCount: number;
  lastReceivedAt: string | null;
  createdAt: string;
  expiresAt: string | null;
}

export interface MessagePage {
  messages: MessageSummary[];
  nextCursor: string | null;
  head: number;
}

export interface Health {
  status: string;
  version: string;
  head: number;
  messages: number;
  smtp: { port: number };
}

/** The list filters of `GET /api/messages`; every one is a case-insensitive substring. */
export interface ListFilters {
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  hasAttachment?: boolean;
}

/** Server → client WebSocket frames. */
export type LiveEvent =
  | { type: "hello"; data: { head: number } }
  | { type: "message.received"; data: { message: MessageSummary } }
  | { type: "message.updated"; data: { message: MessageSummary } }
  | { type: "message.deleted"; data: { id: string; inboxes: string[] } }
  | { type: "inbox.created"; data: { address: string } }
  | { type: "inbox.cleared"; data: { address: string } }
  | { type: "inbox.deleted"; data: { address: string } }
  | { type: "heartbeat"; data: { time: string } };
