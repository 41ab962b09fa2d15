/**
 * The wire types the viewer uses: all from `@mailnest/protocol`, the one source the server and
 * the SDK share, so the viewer cannot drift from what the server sends.
 */
import type { MessageFilterParams, ServerFrame } from "@mailnest/protocol";

export type {
  Address,
  AttachmentMeta,
  AuthenticationSummary,
  Envelope,
  HeaderLine,
  Health,
  InboxInfo,
  Link,
  MessageAuthentication,
  MessagePage,
  MessageSummary,
  StoredMessage,
  TlsInfo,
} from "@mailnest/protocol";

/** The list filters the search box can set. */
export type ListFilters = Pick<MessageFilterParams, "from" | "to" | "subject" | "text" | "hasAttachment">;

/** Server → client WebSocket frames. */
export type LiveEvent = ServerFrame;
