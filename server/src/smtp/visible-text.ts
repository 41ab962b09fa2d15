import { collapseWhitespace, joinVisibleText } from "@mailnest/protocol";
import { boundedHtmlParser } from "./html-parser.js";

/** Elements whose content is not visible text. */
const HIDDEN = new Set(["script", "style", "head", "title", "template", "noscript"]);
/** Elements that separate words ("<p>a</p><p>b</p>" reads "a b"); inline ones ("su<b>mm</b>er") do not. */
const BLOCKS = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "br",
  "dd",
  "div",
  "dl",
  "dt",
  "footer",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "img",
  "li",
  "main",
  "nav",
  "ol",
  "p",
  "pre",
  "section",
  "table",
  "tbody",
  "td",
  "tfoot",
  "th",
  "thead",
  "tr",
  "ul",
]);
const CHUNK = 4096;

/**
 * The visible text of an HTML body: tags dropped, the content of `<script>`, `<style>`, `<head>`
 * and the like dropped, comments and CDATA dropped (htmlparser2 reports them apart from text),
 * entities decoded (named and numeric, as HTML5 defines them), whitespace collapsed.
 */
export function htmlToText(html: string): string {
  let text = "";
  let hiddenDepth = 0;
  const parser = boundedHtmlParser({
    onopentag(name) {
      if (HIDDEN.has(name)) hiddenDepth++;
      if (BLOCKS.has(name)) text += " ";
    },
    onclosetag(name) {
      if (HIDDEN.has(name) && hiddenDepth > 0) hiddenDepth--;
      if (BLOCKS.has(name)) text += " ";
    },
    ontext(chunk) {
      if (hiddenDepth === 0) text += chunk;
    },
  });
  for (let offset = 0; offset < html.length; offset += CHUNK) {
    parser.write(html.slice(offset, offset + CHUNK));
  }
  parser.end();
  return collapseWhitespace(text);
}

/**
 * The message's visible text (the `visibleText` field of `@mailnest/protocol`'s `StoredMessage`):
 * the text part; the HTML's text when there is no text part; both, text first and a blank line
 * between, when both exist. Computed once, when the message is parsed; every `text` filter (the
 * server's lists and waits, the SDK's) reads this field and nothing else.
 */
export function visibleText(text: string | null, html: string | null): string {
  return joinVisibleText(text, html === null ? null : htmlToText(html));
}
