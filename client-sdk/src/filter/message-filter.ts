import type { ArcResult, DkimResult, DmarcResult, SpfResult } from "@mailnest/protocol";
import type { Message } from "../message/message.js";
import type { AttachmentFilter } from "./attachment-filter.js";
import type { TextMatcher } from "./text-matcher.js";

export type { AttachmentFilter } from "./attachment-filter.js";
export type { TextMatcher } from "./text-matcher.js";

export interface AuthFilter {
  dkim?: DkimResult;
  spf?: SpfResult;
  dmarc?: DmarcResult;
  arc?: ArcResult;
}

export interface HeaderFilter {
  /** Header name, any case. */
  name: string;
  /** Without a value, the header only has to be present. */
  value?: TextMatcher;
}

/**
 * What a wait or a list looks for. Every given field must hold. Text values are a string
 * (case-insensitive substring), a RegExp, or `{ exact: "…" }`.
 */
export interface MessageFilter {
  subject?: TextMatcher;
  /** A From address or display name, or the envelope sender (MAIL FROM). */
  from?: TextMatcher;
  /** Any recipient: a To or Cc address or display name, or an envelope recipient (RCPT TO, so Bcc too). */
  to?: TextMatcher;
  /** A Cc address or display name. */
  cc?: TextMatcher;
  /**
   * The message's `visibleText`: the text part, the HTML's visible text, or both, as the server
   * computed it. The server's `text` search reads the same field, so the two never disagree.
   */
  text?: TextMatcher;
  /** The HTML body's source. A message without an HTML part never matches. */
  html?: TextMatcher;
  /** A header (any case) that is present, or whose value (any of its occurrences) matches. Several must all hold. */
  header?: HeaderFilter | readonly HeaderFilter[];
  /** Whether the message has at least one attachment (inline parts count, as on the server). */
  hasAttachment?: boolean;
  /** The SMTP AUTH user name the message was sent with, exactly (as the server's `authUser` filter). */
  authUser?: string;
  /** At least one attachment matches every given part. */
  attachment?: AttachmentFilter;
  /**
   * The server's SPF, DKIM, DMARC and ARC verdicts (`message.auth`, docs/authentication.md), one
   * word each; `dkim: "pass"` when any signature passed. A message stored without verdicts never matches.
   * @example inbox.waitForMessage({ auth: { dmarc: "fail" } })
   */
  auth?: AuthFilter;
  /** Evaluated last, on the full message, within the same wait. */
  where?: (message: Message) => boolean | Promise<boolean>;
}
