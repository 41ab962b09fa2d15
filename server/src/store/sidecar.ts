import {
  collapseWhitespace,
  type FilterableSummary,
  type MessageAuthentication,
  SNIPPET_LENGTH,
  summarizeAuthentication,
} from "@mailnest/protocol";
import type { Envelope, MessageSummary, ParsedView, StoredMessage } from "./model.js";
import { MESSAGE_ID_PATTERN } from "./model.js";

/**
 * Everything about a message that is not in its `.eml`: written next to it (`<id>.json`) before the
 * `.eml` is renamed into place, so a committed message always has its envelope and sequence on disk.
 * The parsed view is cached here so `get` does not re-parse. Only `inboxes` ever changes (when one of
 * several inboxes is cleared); read flags live in the index.
 */
export interface Sidecar {
  version: 1;
  id: string;
  sequence: number;
  inboxes: string[];
  envelope: Envelope;
  size: number;
  sha256: string;
  view: ParsedView;
  /** The verdicts computed at ingest; absent when verification was off (or in sidecars of 0.1). */
  authentication?: MessageAuthentication;
  /** `receivedAt` with sub-millisecond precision (absent in sidecars written by 0.1). */
  receivedTime?: number;
  /** Set when the message repeats an earlier one (`duplicate-window.ts`); absent means null. */
  duplicateOf?: string | null;
}

export function summaryFromSidecar(sidecar: Sidecar, read: boolean): MessageSummary {
  const { envelope, view } = sidecar;
  return {
    id: sidecar.id,
    sequence: sidecar.sequence,
    inboxes: sidecar.inboxes,
    mailFrom: envelope.mailFrom,
    rcptTo: envelope.rcptTo,
    messageId: view.messageId,
    subject: view.subject,
    from: view.from,
    to: view.to,
    cc: view.cc,
    date: view.date,
    receivedAt: envelope.receivedAt,
    receivedTime: sidecar.receivedTime ?? Date.parse(envelope.receivedAt),
    duplicateOf: sidecar.duplicateOf ?? null,
    size: sidecar.size,
    sha256: sidecar.sha256,
    attachmentCount: view.attachments.length,
    authUser: envelope.authUser,
    tls: envelope.tls !== null,
    read,
    snippet: snippetOfView(view),
    parseError: view.parseError,
    ...(sidecar.authentication ? { authSummary: summarizeAuthentication(sidecar.authentication) } : {}),
  };
}

/** A message's snippet, from its parsed view (0.1's views have no `visibleText`). */
export function snippetOfView(view: ParsedView): string {
  return makeSnippet(view.visibleText ?? view.text ?? "");
}

/**
 * The full message: the live summary (read flag, inboxes) plus what only the sidecar holds. The
 * embedded store's index does not keep snippets (its summaries have ""), so an empty one is made
 * from the view, which is quick for a message that has no text either.
 */
export function storedMessage(
  summary: FilterableSummary & { snippet?: string },
  sidecar: Sidecar,
): StoredMessage {
  const { view } = sidecar;
  // Not `{ ...summary, envelope, … }`: V8 (Node 20) gives every object built by that literal (a
  // spread of ~23 fields, then nine more) a hidden class of its own, at about 25–40 µs each and with
  // megamorphic reads after it. `Object.assign` takes about 1.5 µs; its result is a dictionary-mode
  // object (measured with %HasFastProperties), which costs little in one that lives only until it
  // is read or serialised (building and serialising a 4 KB message: 10 µs), and is why the index's
  // own summaries are never made this way (`StoreIngest`).
  return Object.assign({}, summary, {
    snippet: summary.snippet || snippetOfView(view),
    envelope: sidecar.envelope,
    headers: view.headers,
    bcc: view.bcc,
    replyTo: view.replyTo,
    text: view.text,
    html: view.html,
    visibleText: view.visibleText,
    attachments: view.attachments,
    links: view.links,
    ...(sidecar.authentication ? { authentication: sidecar.authentication } : {}),
  });
}

/**
 * How `serializeSidecar` writes a `visibleText` that is the message's `text` (no HTML part, the
 * common case): a third of a 2 KB message's sidecar was that second copy. Not a string, so a
 * Mailnest from before this form treats the sidecar as one of 0.1's (`needsReparse`) and re-parses
 * the raw message for its visible text instead of reading a wrong one.
 */
const SAME_AS_TEXT = { sameAs: "text" } as const;

/**
 * The sidecar as the embedded store writes it: JSON, with `version` and `id` first (log recovery
 * reads the id from the start without parsing), and the visible text written once when it is the
 * text. `parseSidecar` reads both forms.
 */
export function serializeSidecar(sidecar: Sidecar): string {
  const { view } = sidecar;
  if (view.text === null || view.visibleText !== view.text) return JSON.stringify(sidecar);
  return JSON.stringify({ ...sidecar, view: { ...view, visibleText: SAME_AS_TEXT } });
}

/**
 * A sidecar read from disk, or null when it is not one of ours (torn, edited, another version).
 * Without `expectedId` (a log record, which names its own message) any well-formed id is accepted.
 */
export function parseSidecar(json: string, expectedId?: string): Sidecar | null {
  try {
    const value = JSON.parse(json) as Partial<Sidecar> | null;
    if (
      value?.version !== 1 ||
      typeof value.id !== "string" ||
      (expectedId !== undefined && value.id !== expectedId) ||
      !MESSAGE_ID_PATTERN.test(value.id) ||
      !Number.isSafeInteger(value.sequence) ||
      !Array.isArray(value.inboxes) ||
      typeof value.envelope !== "object" ||
      value.envelope === null ||
      typeof value.view !== "object" ||
      value.view === null ||
      typeof value.size !== "number" ||
      typeof value.sha256 !== "string"
    ) {
      return null;
    }
    const view = value.view as { text?: unknown; visibleText?: unknown };
    const visible = view.visibleText as { sameAs?: unknown } | null | undefined;
    if (typeof visible === "object" && visible?.sameAs === "text" && typeof view.text === "string") {
      view.visibleText = view.text;
    }
    return value as Sidecar;
  } catch {
    return null;
  }
}

/**
 * The first ~200 characters of the visible text, whitespace collapsed. A copy, not a cut: V8 keeps
 * the whole source of a sliced string alive, and the text it comes from may be megabytes. The copy
 * goes through UTF-8, so a surrogate pair the cut split ends as U+FFFD rather than a lone surrogate:
 * the snippet is the same whether it is read from the search text's UTF-8 record or made again from
 * the sidecar.
 */
export function makeSnippet(visibleText: string): string {
  const cut = collapseWhitespace(visibleText.slice(0, SNIPPET_LENGTH * 4)).slice(0, SNIPPET_LENGTH);
  return Buffer.from(cut, "utf8").toString("utf8");
}

/**
 * Sidecars (and write-ahead log records) written by 0.1 have no `visibleText`. They stay readable,
 * so an upgrade never loses a message; the store re-parses such a message's `.eml` when it is read.
 */
export function needsReparse(sidecar: Sidecar): boolean {
  return typeof (sidecar.view as Partial<Sidecar["view"]>).visibleText !== "string";
}
