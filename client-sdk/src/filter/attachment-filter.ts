import type { TextMatcher } from "./text-matcher.js";

/**
 * Which attachment: every given part must hold. The filter's `attachment` field and
 * `message.attachment()` both take it, so it sits apart from `MessageFilter`, whose `where` needs
 * the `Message` class: the message helpers can import this without an import cycle.
 */
export interface AttachmentFilter {
  filename?: TextMatcher;
  contentType?: TextMatcher;
}
