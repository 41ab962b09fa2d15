import type { MessageParser } from "../store/message-store.js";

type SourceParser = MessageParser & Required<Pick<MessageParser, "parseSource">>;

/**
 * The event loop's own parser, whose code (mailparser, with libmime, iconv's codecs, the HTML
 * entity tables and the HTML-to-text converter behind it: about 0.9 MB of the bundle) loads at its
 * first call. With parsing threads (the default in the build) the main thread parses only when a
 * thread has died, or an attachment is downloaded: compiling all of it ahead of every start cost
 * each restart about 50 ms before the server listened (docs/performance.md).
 */
export function parserLoadedWhenUsed(): SourceParser {
  let loaded: Promise<SourceParser> | null = null;
  const parser = (): Promise<SourceParser> => {
    loaded ??= import("./parse-message.js").then((module) => module.messageParser);
    return loaded;
  };
  return {
    parse: async (raw) => (await parser()).parse(raw),
    parseSource: async (source) => (await parser()).parseSource(source),
    attachmentContent: async (raw, index) => (await parser()).attachmentContent(raw, index),
  };
}
