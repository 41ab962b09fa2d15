import { Parser } from "htmlparser2";

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
 * The visible text of an HTML body (entities decoded, whitespace collapsed). `maxLength` stops
 * parsing early once that much text was seen, so a snippet of a 5 MB newsletter stays cheap.
 */
export function htmlToText(html: string, maxLength = Number.POSITIVE_INFINITY): string {
  let text = "";
  let hiddenDepth = 0;
  const parser = new Parser(
    {
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
    },
    { decodeEntities: true },
  );
  for (let offset = 0; offset < html.length && text.length < maxLength * 2; offset += CHUNK) {
    parser.write(html.slice(offset, offset + CHUNK));
  }
  parser.end();
  return collapseWhitespace(text);
}

export const SNIPPET_LENGTH = 200;

/** The first ~200 characters of the text body, or of the HTML's visible text when there is no text part. */
export function makeSnippet(text: string | null, html: string | null): string {
  const source =
    text !== null
      ? collapseWhitespace(text.slice(0, SNIPPET_LENGTH * 4))
      : html !== null
        ? htmlToText(html, SNIPPET_LENGTH)
        : "";
  return source.slice(0, SNIPPET_LENGTH);
}

function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
