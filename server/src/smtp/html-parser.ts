import { type Handler, Parser } from "htmlparser2";

/**
 * The deepest nesting of open elements the parser keeps track of. htmlparser2 keeps its stack of
 * open elements newest first (`unshift`) and looks a closing tag up in it (`indexOf`), so each open
 * tag costs the depth: 1.6 MB of unclosed `<div>` held the event loop 57 s at ingest (the view's
 * visible text and links are read from the HTML). Real mail nests tables a few dozen deep.
 */
const MAX_OPEN_ELEMENTS = 256;

/**
 * htmlparser2's `Parser` with entities decoded and the open elements it tracks bounded: past
 * `MAX_OPEN_ELEMENTS`, the outermost are forgotten (their closing tags then close nothing, and
 * what they would have closed stays open to the end), which costs hostile input its structure and
 * nothing its time.
 */
export function boundedHtmlParser(handlers: Partial<Handler>): Parser {
  const parser: Parser = new Parser(
    {
      ...handlers,
      onopentag(name, attributes, isImplied) {
        const internals = parser as unknown as { stack: string[]; foreignContext?: unknown[] };
        if (internals.stack.length > MAX_OPEN_ELEMENTS) internals.stack.length = MAX_OPEN_ELEMENTS;
        if (internals.foreignContext && internals.foreignContext.length > MAX_OPEN_ELEMENTS) {
          internals.foreignContext.length = MAX_OPEN_ELEMENTS;
        }
        handlers.onopentag?.(name, attributes, isImplied);
      },
    },
    { decodeEntities: true },
  );
  return parser;
}
