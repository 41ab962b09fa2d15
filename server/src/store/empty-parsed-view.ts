import type { ParsedView } from "./model.js";

/** The view of a message that could not be parsed: every field empty, `parseError` says why. */
export function emptyParsedView(parseError: string): ParsedView {
  return {
    messageId: null,
    date: null,
    subject: "",
    from: [],
    to: [],
    cc: [],
    bcc: [],
    replyTo: [],
    headers: [],
    text: null,
    html: null,
    visibleText: "",
    attachments: [],
    links: [],
    parseError,
  };
}
