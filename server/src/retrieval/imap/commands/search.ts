import { SearchMatcher } from "../search-match.js";
import { parseSearch } from "../search-program.js";
import { type ImapCommand, SELECTED } from "./command.js";

const CHARSETS = ["US-ASCII", "UTF-8"];

/** RFC 3501 sections 6.4.4 (SEARCH) and 6.4.8 (UID SEARCH). */
function searchCommand(byUid: boolean): ImapCommand {
  return {
    states: SELECTED,
    async run(session, tag, args) {
      const { charset, key } = parseSearch(args);
      if (charset !== null && !CHARSETS.includes(charset)) {
        await session.tagged(tag, "NO", `[BADCHARSET (${CHARSETS.join(" ")})] Unsupported charset`);
        return;
      }
      const { view } = session.selected!;
      await session.announceExists();
      const matcher = new SearchMatcher(session.deps.model.store, view);
      const found: number[] = [];
      for (let position = 0; position < view.size; position++) {
        const entry = view.at(position + 1)!;
        if (await matcher.matches(key, entry, position)) found.push(byUid ? entry.uid : position + 1);
      }
      await session.untagged(found.length > 0 ? `SEARCH ${found.join(" ")}` : "SEARCH");
      await session.flushUpdates(byUid);
      await session.tagged(tag, "OK", `${byUid ? "UID SEARCH" : "SEARCH"} completed`);
    },
  };
}

export const search = searchCommand(false);
export const uidSearch = searchCommand(true);
