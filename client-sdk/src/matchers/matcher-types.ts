import type { AttachmentFilter, MessageFilter, TextMatcher } from "../filter/message-filter.js";
import type { LinkFilter } from "../message/select-link.js";
import type { WaitOptions } from "../wait/wait-options.js";
import type { DkimExpectation } from "./authentication-matchers.js";

/**
 * The matchers as they are called, shared by the Jest, Vitest and Playwright declarations.
 * `R` is the runner's return type for a matcher call.
 */
export interface MailnestMatchers<R = unknown> {
  /**
   * Waits like `inbox.waitForMessage(filter, options)` (and so consumes the message). With `.not`,
   * waits like `inbox.expectNoMessage(filter, { within: options.timeout ?? 1000 })`.
   * @example await expect(inbox).toReceiveMessage({ subject: /welcome/i });
   */
  toReceiveMessage(filter?: MessageFilter, options?: WaitOptions): Promise<R>;
  /** The message has at least one link whose href or text matches (or that matches every part of the object form). */
  toHaveLink(filter?: LinkFilter): R;
  /** The message has at least one attachment whose filename matches (or that matches `{ filename, contentType }`). */
  toHaveAttachment(filter?: TextMatcher | AttachmentFilter): R;
  /** The message has the header (any case), and with `value`, one of its occurrences matches. */
  toHaveHeader(name: string, value?: TextMatcher): R;
  /**
   * No message in the inbox's view (matching `filter`) repeats another one: the same raw bytes and
   * envelope within ten minutes (`message.duplicateOf`). "Exactly one email was sent."
   * @example await expect(inbox).toHaveNoDuplicates({ subject: /receipt/i });
   */
  toHaveNoDuplicates(filter?: MessageFilter): Promise<R>;
  /**
   * A DKIM signature of the message passed (by `domain` and `selector` when given), as the server
   * verified it against the zone (`message.auth`). A failure lists each signature with its reason
   * and the key records consulted.
   * @example expect(message).toPassDkim({ domain: "t-8f3k2q9x.test", selector: "s1" });
   */
  toPassDkim(expected?: DkimExpectation): R;
  /** SPF passed for the connecting IP; a failure gives the reason, the record and the lookups. */
  toPassSpf(): R;
  /** DMARC passed (an aligned DKIM or SPF pass); a failure gives the reason, the record and the lookups. */
  toPassDmarc(): R;
}
