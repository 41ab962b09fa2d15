import type { MessageParser } from "../store/message-store.js";

type SourceParser = MessageParser & Required<Pick<MessageParser, "parseSource">>;

/**
 * The event loop's own parser, whose code (mailparser, with libmime, iconv's codecs, the HTML
 * entity tables and the HTML-to-text converter behind it: about 1 MB of the bundle) loads once
 * `loadAfter` resolves (the sandbox passes "the listeners are up"), or at the first call if that
 * comes sooner. Compiling and running all of it before the server listened was about a tenth of a
 * restart (docs/performance.md); loaded just after, it is ready for the first message anyway, which
 * matters where the main thread parses everything (two cores or fewer, `--parse-threads 0`).
 */
export function parserLoadedWhenUsed(
  options: {
    loadAfter?: Promise<void>;
    /** How the parser is loaded; tests count the loads. */
    load?: () => Promise<SourceParser>;
  } = {},
): SourceParser {
  const load = options.load ?? (() => import("./parse-message.js").then((module) => module.messageParser));
  let loaded: Promise<SourceParser> | null = null;
  const parser = (): Promise<SourceParser> => {
    loaded ??= load();
    return loaded;
  };
  // A load that fails here fails again, with its error, at the first call.
  void options.loadAfter?.then(parser).catch(() => {});
  return {
    parse: async (raw) => (await parser()).parse(raw),
    parseSource: async (source) => (await parser()).parseSource(source),
    attachmentContent: async (raw, index, sha256) => (await parser()).attachmentContent(raw, index, sha256),
  };
}
