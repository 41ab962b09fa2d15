import type { StoredMessage } from "./message.js";

/**
 * How a message's `visibleText` is put together from its parts (the server extracts the HTML's
 * text when it parses the message; see `StoredMessage.visibleText`): the text part; the HTML's
 * text when there is no text part; both, text first, when both exist. Taking it apart again
 * (`htmlTextOf`) lives here too, so no consumer re-implements either half.
 */
const SEPARATOR = "\n\n";

export function joinVisibleText(text: string | null, htmlText: string | null): string {
  if (text === null) return htmlText ?? "";
  return htmlText === null || htmlText === "" ? text : `${text}${SEPARATOR}${htmlText}`;
}

/**
 * Every run of whitespace (JavaScript's `\s`: spaces, tabs, line breaks, no-break and other Unicode
 * spaces) as one space, the ends trimmed: how an HTML part's text and a summary's `snippet` read.
 * Only what changes is matched: a lone plain space, most of ordinary text's whitespace, is left as it
 * is (replacing each with itself made this about ten times slower on a message's text).
 */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s{2,}|[^\S ]/g, " ").trim();
}

/** The HTML's text part of `visibleText`, or null for a message without HTML. */
export function htmlTextOf(message: Pick<StoredMessage, "text" | "html" | "visibleText">): string | null {
  if (message.html === null) return null;
  if (message.text === null) return message.visibleText;
  const prefix = `${message.text}${SEPARATOR}`;
  return message.visibleText.startsWith(prefix) ? message.visibleText.slice(prefix.length) : "";
}
