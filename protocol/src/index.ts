/**
 * `@mailnest/protocol`: the one source of Mailnest's wire contract. The server, the SDK and the
 * viewer import these; `schemas.json` (built from these types) feeds the OpenAPI document.
 * Nothing here depends on Node, the DOM or any package.
 */
export { inboxAddress, isQuotedLocalPart, normalizeAddress, sameInbox } from "./address.js";
export type {
  FeedbackType,
  PendingReport,
  PendingReportList,
  ReportedMessage,
  ReportForward,
  ReportKind,
  ReportLog,
  ReportLogEntry,
  ReportRule,
  ReportRuleList,
  ReportRuleRequest,
  ReturnContent,
  SimulatorInfo,
  SimulatorMailbox,
  SimulatorMailboxInfo,
} from "./after-acceptance.js";
export {
  FEEDBACK_TYPES,
  GENERATED_REPORT_HEADER,
  MAX_PENDING_REPORTS,
  MAX_REPORT_DELAY_MS,
  MAX_REPORT_LINE_LENGTH,
  MAX_REPORT_LOG_ENTRIES,
  MAX_REPORT_TEXT_LENGTH,
  MAX_RETURNED_HEADER_BYTES,
  MAX_RETURNED_MESSAGE_BYTES,
  REPORT_KINDS,
  REPORT_RULE_ID_PATTERN,
  RETURN_CONTENT,
  SIMULATOR_MAILBOXES,
} from "./after-acceptance.js";
export type {
  ArcHop,
  ArcResult,
  ArcVerdict,
  AuthenticationSummary,
  DkimKey,
  DkimKeyAlgorithm,
  DkimKeyRequest,
  DkimResult,
  DkimSignatureVerdict,
  DmarcPolicy,
  DmarcResult,
  DmarcVerdict,
  DnsLookup,
  DnsMode,
  DnsRecord,
  DnsRecordList,
  DnsRecordRequest,
  DnsRecordType,
  MessageAuthentication,
  SpfResult,
  SpfVerdict,
} from "./authentication.js";
export {
  ARC_RESULTS,
  DKIM_KEY_ALGORITHMS,
  DKIM_RESULTS,
  DKIM_RSA_KEY_BITS,
  DMARC_RESULTS,
  DNS_MODES,
  DNS_RECORD_TYPES,
  MAX_CNAME_CHAIN,
  MAX_DKIM_KEY_BITS,
  MAX_DKIM_SIGNATURES_VERIFIED,
  MAX_DNS_NAME_LENGTH,
  MAX_DNS_RECORD_VALUE_LENGTH,
  MAX_RECORDED_DNS_LOOKUPS,
  MAX_ZONE_RECORDS,
  MIN_DKIM_KEY_BITS,
  milderDmarcPolicy,
  SPF_RESULTS,
  summarizeAuthentication,
} from "./authentication.js";
export type {
  ErrorBody,
  ErrorCode,
  ErrorObject,
  WaitTimeoutErrorBody,
  WaitTimeoutErrorObject,
} from "./errors.js";
export { ERROR_STATUS } from "./errors.js";
export type { ClientFrame, ServerEventData, ServerEventType, ServerFrame, SubscribeFrame } from "./events.js";
export { EVENTS_PATH, MAX_CLIENT_FRAME_BYTES, MAX_SUBSCRIBED_INBOXES } from "./events.js";
export type {
  FaultBehavior,
  FaultEnvelope,
  FaultLog,
  FaultLogEntry,
  FaultRule,
  FaultRuleList,
  FaultRuleRequest,
  FaultStage,
  RateLimitScope,
} from "./faults.js";
export {
  ENHANCED_STATUS_PATTERN,
  FAULT_BEHAVIORS,
  FAULT_RULE_ID_PATTERN,
  FAULT_STAGES,
  MAX_FAULT_DELAY_MS,
  MAX_FAULT_LIMIT,
  MAX_FAULT_LOG_ENTRIES,
  MAX_FAULT_MESSAGE_LENGTH,
  MAX_FAULT_PATTERN_LENGTH,
  MAX_FAULT_WINDOW_MS,
  RATE_LIMIT_SCOPES,
} from "./faults.js";
export type {
  CompiledWireFilter,
  FilterableSummary,
  RegexCompiler,
  TextField,
  TextTest,
  WireAttachmentFilter,
  WireFilter,
  WireHeaderFilter,
  WireTextMatcher,
} from "./filter.js";
export {
  addressValues,
  compileTextMatcher,
  compileWireFilter,
  fieldValues,
  headerValues,
  InvalidFilterError,
  MAX_HEADER_FILTERS,
  MAX_MATCH_LENGTH,
  needsFullMessage,
  parseWireFilter,
  REGEX_FLAGS,
  TEXT_FIELDS,
} from "./filter.js";
export type { Health, ServerClock, StoreInfo } from "./health.js";
export type {
  CreatedInbox,
  CreateInboxRequest,
  DeletedCount,
  InboxInfo,
  InboxList,
  ReadStateRequest,
  UpdatedCount,
} from "./inbox.js";
export type {
  CreatedWebhookEndpoint,
  CreateWebhookRequest,
  DeliveryAttempt,
  DeliveryProgress,
  DeliveryState,
  InboxClearedEvent,
  MessageDeletedEvent,
  MessageLinks,
  MessageReceivedEvent,
  RelayRule,
  RelayRuleList,
  RelayRuleRequest,
  RelayStatus,
  Release,
  ReleaseList,
  ReleaseRequest,
  SendAddress,
  SendAttachment,
  SendRequest,
  UpdateWebhookRequest,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEvent,
  WebhookEventType,
  WebhookSecret,
} from "./integrations.js";
export {
  MAX_ATTEMPT_RESPONSE_CHARS,
  MAX_WEBHOOK_PAYLOAD_BYTES,
  WEBHOOK_EVENT_TYPES,
} from "./integrations.js";
export type {
  DamagedMessage,
  IntegrityReport,
  MessageDamagedErrorObject,
  RawFingerprint,
} from "./integrity.js";
export * from "./limits.js";
export type {
  Address,
  AttachmentMeta,
  Envelope,
  HeaderLine,
  HeaderList,
  Link,
  MessagePage,
  MessageSummary,
  StoredMessage,
  TlsInfo,
} from "./message.js";
export { type ApiPathName, apiPaths } from "./paths.js";
export type { ListParams, MessageFilterParams, WaitParams } from "./query.js";
export { FILTER_PARAMETERS, LIST_PARAMETERS, MAX_EXCLUDED, queryString, WAIT_PARAMETERS } from "./query.js";
export { collapseWhitespace, htmlTextOf, joinVisibleText } from "./visible-text.js";
export type { RecentMessage, WaitResponse, WaitTimeoutDetails } from "./wait.js";
