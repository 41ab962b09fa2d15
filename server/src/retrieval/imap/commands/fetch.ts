import type { ViewEntry } from "../../mailbox/mailbox-view.js";
import type { MessageHeader, ParsedMessage } from "../../mailbox/message-content.js";
import { type FetchItem, parseFetchItems } from "../fetch-attributes.js";
import type { ImapContext, SelectedMailbox } from "../imap-context.js";
import { parseSequenceSet, resolveSequenceNumbers, resolveUids } from "../sequence-set.js";
import { headerSectionBytes, isTopHeaderSection, sectionBytes } from "../wire/body-section.js";
import { bodyStructure } from "../wire/body-structure.js";
import { envelope } from "../wire/envelope.js";
import { atom, type WireValue } from "../wire/wire-value.js";
import { type ImapCommand, SELECTED } from "./command.js";

export const SEQUENCE_SET = /^[\d*:,]+$/;

/** RFC 3501 sections 6.4.5 (FETCH) and 6.4.8 (UID FETCH). */
function fetchCommand(byUid: boolean): ImapCommand {
  return {
    states: SELECTED,
    async run(session, tag, args) {
      const set = parseSequenceSet(args.atom("a sequence set", SEQUENCE_SET));
      const items = parseFetchItems(args);
      args.end();
      const selected = session.selected!;
      const { view } = selected;
      await session.announceExists();
      const positions = byUid
        ? resolveUids(set, view)
        : resolveSequenceNumbers(set, view.size).map((seq) => seq - 1);
      // A UID FETCH response always carries the UID (section 6.4.8).
      if (byUid && !items.some((item) => item.kind === "UID")) items.unshift({ kind: "UID" });
      let missing = 0;
      for (const position of positions) {
        const entry = view.at(position + 1)!;
        const values = await fetchValues(session, selected, entry, items);
        if (values === null) {
          missing += 1;
          continue;
        }
        await session.untaggedValues([position + 1, atom("FETCH"), values]);
      }
      await session.flushUpdates(byUid);
      if (missing > 0) {
        await session.tagged(tag, "NO", `[EXPUNGEISSUED] ${missing} of the messages were deleted meanwhile`);
        return;
      }
      await session.tagged(tag, "OK", `${byUid ? "UID FETCH" : "FETCH"} completed`);
    },
  };
}

export const fetch = fetchCommand(false);
export const uidFetch = fetchCommand(true);

/** Items that need the whole message rather than its header. */
function needsWholeMessage(item: FetchItem): boolean {
  if (item.kind === "section") return !isTopHeaderSection(item.section);
  return (
    item.kind === "BODYSTRUCTURE" ||
    item.kind === "BODY" ||
    item.kind === "RFC822" ||
    item.kind === "RFC822.TEXT"
  );
}

/** Items that set \Seen (section 6.4.5): BODY[…] without PEEK, RFC822, RFC822.TEXT. */
function setsSeen(item: FetchItem): boolean {
  return (item.kind === "section" && !item.peek) || item.kind === "RFC822" || item.kind === "RFC822.TEXT";
}

/** The `msg-att` list of one message, or null when its bytes are gone. */
async function fetchValues(
  session: ImapContext,
  selected: SelectedMailbox,
  entry: ViewEntry,
  items: FetchItem[],
): Promise<WireValue[] | null> {
  const { content, store } = session.deps.model;
  let parsed: ParsedMessage | null = null;
  let header: MessageHeader | null = null;
  if (items.some(needsWholeMessage)) {
    parsed = await content.parsed(entry.id);
    if (parsed === null) return null;
  }
  if (
    items.some((item) => item.kind === "ENVELOPE" || item.kind === "RFC822.HEADER" || item.kind === "section")
  ) {
    header = parsed ? { raw: parsed.raw, block: parsed.root.header } : await content.header(entry.id);
    if (header === null) return null;
  }
  let flagsChanged = false;
  if (!selected.readOnly && !entry.gone && !entry.summary.read && items.some(setsSeen)) {
    flagsChanged = (await store.setRead(entry.id, true)) !== null;
  }

  const values: WireValue[] = [];
  for (const item of items) {
    switch (item.kind) {
      case "FLAGS":
        values.push(atom("FLAGS"), selected.view.flagsOf(entry).map(atom));
        selected.view.markTold(entry);
        break;
      case "UID":
        values.push(atom("UID"), entry.uid);
        break;
      case "INTERNALDATE":
        values.push(atom("INTERNALDATE"), internalDate(new Date(entry.summary.receivedAt)));
        break;
      case "RFC822.SIZE":
        values.push(atom("RFC822.SIZE"), entry.summary.size);
        break;
      case "ENVELOPE":
        values.push(atom("ENVELOPE"), envelope(header!.block));
        break;
      case "BODYSTRUCTURE":
      case "BODY":
        values.push(atom(item.kind), bodyStructure(parsed!.raw, parsed!.root, item.kind === "BODYSTRUCTURE"));
        break;
      case "RFC822":
        values.push(atom("RFC822"), parsed!.raw);
        break;
      case "RFC822.HEADER":
        values.push(
          atom("RFC822.HEADER"),
          headerSectionBytes(header!.raw, header!.block, { text: "HEADER", fields: [] }),
        );
        break;
      case "RFC822.TEXT":
        values.push(atom("RFC822.TEXT"), parsed!.raw.subarray(parsed!.root.header.bodyStart));
        break;
      case "section": {
        const bytes = isTopHeaderSection(item.section)
          ? headerSectionBytes(header!.raw, header!.block, item.section)
          : sectionBytes(parsed!.raw, parsed!.root, item.section);
        const partial = item.partial;
        const label = `BODY[${item.label}]${partial ? `<${partial.origin}>` : ""}`;
        values.push(
          atom(label),
          bytes === null
            ? null
            : partial
              ? bytes.subarray(partial.origin, partial.origin + partial.count)
              : bytes,
        );
        break;
      }
    }
  }
  if (flagsChanged && !items.some((item) => item.kind === "FLAGS")) {
    values.push(atom("FLAGS"), selected.view.flagsOf(entry).map(atom));
    selected.view.markTold(entry);
  }
  return values;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 3501 `date-time`: "17-Jul-1996 02:44:25 +0000" (day padded with a space), in UTC. */
export function internalDate(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  const day = String(date.getUTCDate()).padStart(2, " ");
  return `${day}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} +0000`;
}
