import type { MessageAuthentication } from "@mailnest/protocol";
import type { RawSink } from "./blob-store.js";
import type { DuplicateWindow } from "./duplicate-window.js";
import { emptyParsedView } from "./empty-parsed-view.js";
import type { MessageAuthenticator, MessageParser } from "./message-store.js";
import type { Envelope, IncomingEnvelope, ParsedView } from "./model.js";
import type { ReceivedRaw } from "./receive-raw.js";
import { inboxesFor } from "./recover-sidecar.js";
import type { Sidecar } from "./sidecar.js";
import { createMessageId } from "./ulid.js";

/**
 * Parses and verifies a received message, for both stores. Verification starts first: bytes in
 * memory reach the verifier's thread before the parse begins, so the two run side by side (started
 * the other way round, the bytes reached the thread only once the parse had mostly run). The
 * verdicts are part of the message before it is published; the authenticator bounds its own time.
 */
export async function examineReceived(
  tools: { parser: MessageParser; authenticator: MessageAuthenticator | null },
  raw: ReceivedRaw,
  incoming: IncomingEnvelope,
): Promise<ReceivedMessage> {
  const { sink, size, sha256, receivedAt, receivedTime } = raw;
  const verifying = tools.authenticator?.authenticate(sink.source(), incoming, size);
  const [view, authentication] = await Promise.all([parseReceived(tools.parser, sink), verifying]);
  return { incoming, receivedAt, receivedTime, size, sha256, view, authentication };
}

/**
 * A parser on worker threads (`parseSource`) is told where the bytes are (a buffer, or a large
 * message's temp file) and reads them off the event loop. Never rejects: a parser that fails yields
 * an empty view with `parseError` set.
 */
async function parseReceived(
  parser: MessageParser,
  sink: Pick<RawSink, "source" | "read">,
): Promise<ParsedView> {
  try {
    return await (parser.parseSource ? parser.parseSource(sink.source()) : parser.parse(sink.read()));
  } catch (error) {
    return emptyParsedView(error instanceof Error ? error.message : String(error));
  }
}

/** What receiving, parsing and verifying a message found, before it has an id. */
export interface ReceivedMessage {
  incoming: IncomingEnvelope;
  receivedAt: string;
  receivedTime: number;
  size: number;
  sha256: string;
  view: ParsedView;
  /** Undefined when verification is off. */
  authentication: MessageAuthentication | undefined;
}

/**
 * Names a received message and claims it in the duplicate window (which says whether it repeats an
 * earlier one): its sidecar, at `sequence`. A store whose commit fails must `forget` the id again.
 */
export function newSidecar(
  received: ReceivedMessage,
  sequence: number,
  duplicates: Pick<DuplicateWindow, "claim">,
): Sidecar {
  const { incoming, receivedAt, receivedTime, size, sha256, view, authentication } = received;
  const id = createMessageId();
  const envelope: Envelope = { ...incoming, rcptTo: [...incoming.rcptTo], receivedAt };
  const duplicateOf = duplicates.claim(id, receivedTime, { sha256, ...envelope });
  return {
    version: 1,
    id,
    sequence,
    inboxes: inboxesFor(incoming.rcptTo),
    envelope,
    size,
    sha256,
    view,
    ...(authentication ? { authentication } : {}),
    receivedTime,
    duplicateOf,
  };
}
