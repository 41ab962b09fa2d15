import { isVolatileFlag, SYSTEM_FLAGS, type SystemFlag } from "../../mailbox/message-flags.js";
import type { ArgumentReader } from "../argument-reader.js";
import { CommandSyntaxError } from "../command-tokens.js";
import { parseSequenceSet, resolveSequenceNumbers, resolveUids } from "../sequence-set.js";
import { atom, type WireValue } from "../wire/wire-value.js";
import { type ImapCommand, SELECTED } from "./command.js";
import { SEQUENCE_SET } from "./fetch.js";

const STORE_ITEMS = ["FLAGS", "FLAGS.SILENT", "+FLAGS", "+FLAGS.SILENT", "-FLAGS", "-FLAGS.SILENT"] as const;

/**
 * The flags of a STORE: system flags by name (any case); keywords are accepted and not kept
 * (PERMANENTFLAGS has no \*, RFC 3501 section 7.1); \Recent cannot be stored.
 */
function storeFlags(args: ArgumentReader): SystemFlag[] {
  const first = args.peek();
  const words: string[] = [];
  if (first?.kind === "list") {
    const list = args.list("flags");
    while (!list.done) words.push(list.atom("a flag", /^\\?[^\s(){%*"\\\]\x00-\x1f\x7f]+$/));
  } else {
    while (!args.done) words.push(args.atom("a flag", /^\\?[^\s(){%*"\\\]\x00-\x1f\x7f]+$/));
  }
  const flags: SystemFlag[] = [];
  for (const word of words) {
    if (!word.startsWith("\\")) continue;
    const flag = SYSTEM_FLAGS.find((candidate) => candidate.toLowerCase() === word.toLowerCase());
    if (!flag) throw new CommandSyntaxError(`${word} cannot be stored (flags: ${SYSTEM_FLAGS.join(" ")})`);
    if (!flags.includes(flag)) flags.push(flag);
  }
  return flags;
}

/** RFC 3501 sections 6.4.6 (STORE) and 6.4.8 (UID STORE). \Seen is the store's read state. */
function storeCommand(byUid: boolean): ImapCommand {
  return {
    states: SELECTED,
    async run(session, tag, args) {
      const set = parseSequenceSet(args.atom("a sequence set", SEQUENCE_SET));
      const item = args.keyword("a store item", STORE_ITEMS);
      const flags = storeFlags(args);
      args.end();
      const selected = session.selected!;
      if (selected.readOnly) {
        await session.tagged(tag, "NO", "[READ-ONLY] The mailbox is selected with EXAMINE");
        return;
      }
      const { view } = selected;
      const { store, flags: shared } = session.deps.model;
      await session.announceExists();
      const positions = byUid
        ? resolveUids(set, view)
        : resolveSequenceNumbers(set, view.size).map((seq) => seq - 1);
      const mode = item.startsWith("+") ? "add" : item.startsWith("-") ? "remove" : "replace";
      const silent = item.endsWith(".SILENT");
      for (const position of positions) {
        const entry = view.at(position + 1)!;
        if (entry.gone) continue;
        for (const flag of SYSTEM_FLAGS) {
          const listed = flags.includes(flag);
          if (mode !== "replace" && !listed) continue;
          const on = mode === "add" || (mode === "replace" && listed);
          if (flag === "\\Seen") {
            if (entry.summary.read !== on) await store.setRead(entry.id, on);
          } else if (isVolatileFlag(flag)) {
            await shared.set(entry.id, [flag], on);
          }
        }
        if (!silent) {
          const values: WireValue[] = [atom("FLAGS"), view.flagsOf(entry).map(atom)];
          if (byUid) values.unshift(atom("UID"), entry.uid);
          await session.untaggedValues([position + 1, atom("FETCH"), values]);
        }
        // With .SILENT the client already knows what it asked for.
        view.markTold(entry);
      }
      await session.flushUpdates(byUid);
      await session.tagged(tag, "OK", `${byUid ? "UID STORE" : "STORE"} completed`);
    },
  };
}

export const store = storeCommand(false);
export const uidStore = storeCommand(true);
