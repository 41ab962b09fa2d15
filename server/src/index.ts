/**
 * The public surface of `@mailnest/server`: start a sandbox in-process (tests, tools) and the types
 * it speaks. Held back on purpose: the SMTP listener, the HTTP app and the store implementation
 * (reach them through a `Sandbox`), and the CLI (run the `mailnest` bin).
 */
export { DEFAULT_CONFIG, defineConfig, type MailnestConfig } from "./config.js";
export { EventBus, type MailnestEventName, type MailnestEvents } from "./events/bus.js";
export type {
  ChaosSpec,
  FaultEnvelope,
  FaultLogEntry,
  FaultRule,
  FaultRuleInput,
  FaultStage,
} from "./faults/fault-rule.js";
export type { FaultStore } from "./faults/fault-store.js";
export { type Sandbox, type SandboxOptions, startSandbox } from "./sandbox.js";
export { isTlsCertificateError, TlsCertificateError } from "./smtp/tls-certificate-error.js";
export type { TlsCredentials } from "./smtp/tls-credentials.js";
/** The rule that computes a message's `visibleText` at parse time (for tests that build messages by hand). */
export { visibleText } from "./smtp/visible-text.js";
export {
  IngestAbortedError,
  InvalidCursorError,
  isMessageTooLargeError,
  isStorageFailedError,
  isStoreError,
  MessageTooLargeError,
  StorageFailedError,
  StoreError,
} from "./store/errors.js";
export type {
  InboxInfo,
  MessageFilter,
  MessagePage,
  MessageParser,
  MessageQuery,
  MessageStore,
} from "./store/message-store.js";
export {
  type Address,
  ATTACHMENT_ID_PATTERN,
  type AttachmentMeta,
  type Envelope,
  type HeaderLine,
  type IncomingEnvelope,
  type Link,
  MESSAGE_ID_PATTERN,
  type MessageSummary,
  type ParsedView,
  type StoredMessage,
  type TlsInfo,
} from "./store/model.js";
/** V8 settings the CLI applies before it starts (for an app that runs the sandbox as its main job). */
export { tuneV8ForServer } from "./v8-tuning.js";
