/**
 * The public surface of `@mailnest/client`, in one place. Anything not exported here is internal
 * and may change without notice.
 *
 * Deliberately held back:
 * - the HTTP client, `MailView` and the long-poll loop: the stable contract is the methods on
 *   `Mailnest` and `Inbox`; the wire protocol is `docs/api.md`;
 * - constructors of `Message`, `Inbox` and `Attachment` (they are exported as types and for
 *   `instanceof`, but made only by the client);
 * - the constructors of `Faults` and `Reports` (reach them as `mail.faults`, `mail.reports`);
 * - WebSocket events: Node 20 has no global WebSocket, and the long-poll covers every wait.
 *
 * Test-runner integrations are subpath exports, so that importing the client never loads a runner:
 * `@mailnest/client/playwright`, `@mailnest/client/jest`, `@mailnest/client/vitest`.
 */

export type {
  Address,
  ArcVerdict,
  AttachmentMeta,
  AuthenticationSummary,
  CreatedWebhookEndpoint,
  CreateWebhookRequest,
  DeliveryAttempt,
  DeliveryState,
  DkimKey,
  DkimKeyRequest,
  DkimSignatureVerdict,
  DmarcVerdict,
  DnsLookup,
  DnsRecord,
  DnsRecordRequest,
  Envelope,
  HeaderLine,
  Link,
  MessageAuthentication,
  MessageSummary,
  RelayRule,
  RelayRuleRequest,
  RelayStatus,
  Release,
  SendAddress,
  SpfVerdict,
  StoredMessage,
  TlsInfo,
  UpdateWebhookRequest,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEvent,
  WebhookEventType,
} from "@mailnest/protocol";
export { type CreatedDkimKey, Dns } from "./client/dns.js";
export { Inbox } from "./client/inbox.js";
export { type CreateInboxOptions, type CrossInboxWaitOptions, Mailnest } from "./client/mailnest.js";
export type { MailnestOptions } from "./client/options.js";
export { AmbiguousMatchError, isAmbiguousMatchError } from "./errors/ambiguous-match-error.js";
export { BrokenResponseError, isBrokenResponseError } from "./errors/broken-response-error.js";
export { ConnectionError, isConnectionError } from "./errors/connection-error.js";
export { HttpError, isHttpError } from "./errors/http-error.js";
export { isMailnestError, MailnestError } from "./errors/mailnest-error.js";
export { isNoMatchError, NoMatchError } from "./errors/no-match-error.js";
export { isNotFoundError, NotFoundError } from "./errors/not-found-error.js";
export { isServerUnavailableError, ServerUnavailableError } from "./errors/server-unavailable-error.js";
export { isUnauthorizedError, UnauthorizedError } from "./errors/unauthorized-error.js";
export { isUnexpectedMessageError, UnexpectedMessageError } from "./errors/unexpected-message-error.js";
export { isWaitTimeoutError, type NearMiss, WaitTimeoutError } from "./errors/wait-timeout-error.js";
export type {
  ChaosOptions,
  FaultBehavior,
  FaultEnvelope,
  FaultRule,
  FaultRuleOptions,
  FaultStage,
  GreylistOptions,
  InboxFaultOptions,
  InjectedFault,
  RateLimitOptions,
  RateLimitScope,
} from "./faults/fault-types.js";
export { Faults } from "./faults/faults.js";
export type {
  AttachmentFilter,
  AuthFilter,
  HeaderFilter,
  MessageFilter,
  TextMatcher,
} from "./filter/message-filter.js";
export { Relay } from "./integrations/relay.js";
export type { SendAttachmentOptions, SendOptions } from "./integrations/send-options.js";
export { Webhooks } from "./integrations/webhooks.js";
export { Attachment } from "./message/attachment.js";
export type { CodeOptions } from "./message/find-code.js";
export { Message, type MessageEnvelope } from "./message/message.js";
export { MessageHeaders } from "./message/message-headers.js";
export type { LinkFilter } from "./message/select-link.js";
export type {
  AutoReplyOptions,
  BounceOptions,
  ComplaintOptions,
  DelayOptions,
  FeedbackType,
  PendingReport,
  ReportKind,
  ReportLogEntry,
  ReportRule,
  ReportRuleOptions,
  ReportTiming,
  ReturnContent,
  SimulatorInfo,
  SimulatorMailbox,
} from "./reports/report-types.js";
export { Reports } from "./reports/reports.js";
export type { ExpectNoMessageOptions, WaitOptions } from "./wait/wait-options.js";
