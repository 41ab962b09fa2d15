import { type Folder, findFolder, foldersOf } from "../../mailbox/account.js";
import { listMessages } from "../../mailbox/list-messages.js";
import { MailboxView } from "../../mailbox/mailbox-view.js";
import { SYSTEM_FLAGS } from "../../mailbox/message-flags.js";
import type { ArgumentReader } from "../argument-reader.js";
import { CommandSyntaxError } from "../command-tokens.js";
import type { ImapContext } from "../imap-context.js";
import { decodeMailboxName, encodeMailboxName } from "../mailbox-name.js";
import { atom } from "../wire/wire-value.js";
import { AUTHENTICATED, type ImapCommand, SELECTED } from "./command.js";

/** The hierarchy delimiter: inbox addresses hold dots, never slashes. */
const DELIMITER = "/";

/** A mailbox argument: an astring in modified UTF-7 (RFC 3501 section 5.1.3). */
function mailboxName(args: ArgumentReader): string {
  const name = decodeMailboxName(args.astringBytes("a mailbox name").toString("utf8"));
  if (name === null) throw new CommandSyntaxError("invalid mailbox name (bad modified UTF-7)");
  return name;
}

function openFolder(session: ImapContext, name: string): Folder | null {
  return findFolder(session.account!, session.deps.model.store, name);
}

function selectCommand(readOnly: boolean): ImapCommand {
  return {
    states: AUTHENTICATED,
    async run(session, tag, args) {
      const name = mailboxName(args);
      args.end();
      // RFC 3501 section 6.3.1: a SELECT, even a failing one, leaves the previous mailbox.
      session.closeMailbox();
      const folder = openFolder(session, name);
      if (folder === null) {
        await session.tagged(tag, "NO", "[NONEXISTENT] No such mailbox");
        return;
      }
      const view = await MailboxView.open(session.deps.model, folder.inbox);
      session.selected = { folder, view, readOnly };
      session.state = "selected";
      const flags = SYSTEM_FLAGS.join(" ");
      await session.untagged(`FLAGS (${flags})`);
      await session.untagged(`OK [PERMANENTFLAGS (${readOnly ? "" : flags})] Flags permitted`);
      await session.untagged(`${view.size} EXISTS`);
      await session.untagged("0 RECENT");
      const firstUnseen = view.firstUnseen;
      if (firstUnseen !== null) await session.untagged(`OK [UNSEEN ${firstUnseen}] First unseen`);
      await session.untagged(`OK [UIDVALIDITY ${session.deps.model.uidValidity}] UIDs valid`);
      await session.untagged(`OK [UIDNEXT ${view.uidNext}] Predicted next UID`);
      view.takeUpdates(false);
      await session.tagged(
        tag,
        "OK",
        `[${readOnly ? "READ-ONLY" : "READ-WRITE"}] ${readOnly ? "EXAMINE" : "SELECT"} completed`,
      );
    },
  };
}

/** RFC 3501 sections 6.3.1 and 6.3.2. */
export const select = selectCommand(false);
export const examine = selectCommand(true);

/** RFC 2342: one personal namespace, no prefix. */
export const namespace: ImapCommand = {
  states: AUTHENTICATED,
  async run(session, tag, args) {
    args.end();
    await session.untagged(`NAMESPACE (("" "${DELIMITER}")) NIL NIL`);
    await session.tagged(tag, "OK", "NAMESPACE completed");
  },
};

function listCommand(kind: "LIST" | "LSUB"): ImapCommand {
  return {
    states: AUTHENTICATED,
    async run(session, tag, args) {
      const reference = decodeMailboxName(args.astringBytes("a reference name").toString("utf8"));
      const pattern = decodeMailboxName(args.listPattern("a mailbox pattern"));
      args.end();
      if (reference === null || pattern === null)
        throw new CommandSyntaxError("invalid mailbox name (bad modified UTF-7)");
      if (pattern === "" && kind === "LIST") {
        // RFC 3501 section 6.3.8: the delimiter and root of the reference.
        await session.untaggedValues([atom("LIST"), [atom("\\Noselect")], DELIMITER, ""]);
      } else {
        const matcher = listMatcher(reference + pattern);
        for (const folder of foldersOf(session.account!, session.deps.model.store)) {
          if (!matcher(folder.name)) continue;
          const attributes = kind === "LIST" ? [atom("\\HasNoChildren")] : [];
          await session.untaggedValues([atom(kind), attributes, DELIMITER, encodeMailboxName(folder.name)]);
        }
      }
      await session.tagged(tag, "OK", `${kind} completed`);
    },
  };
}

/** RFC 3501 sections 6.3.8 and 6.3.9: every folder counts as subscribed. */
export const list = listCommand("LIST");
export const lsub = listCommand("LSUB");

/**
 * "*" matches anything, "%" anything but the delimiter; INBOX matches in any case. Not a RegExp: a
 * backtracking engine took time exponential in the wildcards (`LIST "" "*%*%*%*%*%*%*%x"` held the
 * event loop, and with it SMTP and HTTP, for minutes). One pass over the pattern keeps the set of
 * name positions it can have reached, so a match costs pattern length × name length at most.
 */
export function listMatcher(pattern: string): (name: string) => boolean {
  const tokens = collapseWildcards([...pattern]);
  const literals = tokens.filter((token) => token !== "*" && token !== "%").length;
  return (name) => {
    const chars = [...name];
    if (literals > chars.length) return false;
    return globMatches(tokens, chars, name === "INBOX");
  };
}

/** A run of wildcards is one "*" if it holds one (it then matches anything), else one "%". */
function collapseWildcards(chars: string[]): string[] {
  const tokens: string[] = [];
  for (const char of chars) {
    const last = tokens.at(-1);
    const wildcard = char === "*" || char === "%";
    if (wildcard && (last === "*" || last === "%")) {
      if (char === "*") tokens[tokens.length - 1] = "*";
    } else {
      tokens.push(char);
    }
  }
  return tokens;
}

function globMatches(tokens: readonly string[], name: readonly string[], caseless: boolean): boolean {
  const same = caseless
    ? (a: string, b: string) => a.toUpperCase() === b.toUpperCase()
    : (a: string, b: string) => a === b;
  // reached[j]: the tokens so far can match the name's first j characters.
  let reached = new Uint8Array(name.length + 1);
  reached[0] = 1;
  for (const token of tokens) {
    const next = new Uint8Array(name.length + 1);
    let any = false;
    if (token === "*" || token === "%") {
      let open = 0;
      for (let j = 0; j <= name.length; j++) {
        // "%" cannot reach past a delimiter: a start before it would have to swallow it.
        if (token === "%" && j > 0 && name[j - 1] === DELIMITER) open = 0;
        open |= reached[j]!;
        next[j] = open;
        if (open) any = true;
      }
    } else {
      for (let j = 0; j < name.length; j++) {
        if (reached[j] && same(name[j]!, token)) {
          next[j + 1] = 1;
          any = true;
        }
      }
    }
    if (!any) return false;
    reached = next;
  }
  return reached[name.length] === 1;
}

const STATUS_ITEMS = ["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"] as const;

/** RFC 3501 section 6.3.10. */
export const status: ImapCommand = {
  states: AUTHENTICATED,
  async run(session, tag, args) {
    const wireName = args.astringBytes("a mailbox name").toString("utf8");
    const name = decodeMailboxName(wireName);
    const items = args.list("status items");
    args.end();
    if (name === null) throw new CommandSyntaxError("invalid mailbox name (bad modified UTF-7)");
    const wanted: Array<(typeof STATUS_ITEMS)[number]> = [];
    while (!items.done) wanted.push(items.keyword("a status item", STATUS_ITEMS));
    const folder = openFolder(session, name);
    if (folder === null) {
      await session.tagged(tag, "NO", "[NONEXISTENT] No such mailbox");
      return;
    }
    const { store, uidValidity } = session.deps.model;
    let counts: { messages: number; unseen: number };
    if (folder.inbox !== null) {
      const info = store.getInbox(folder.inbox);
      counts = { messages: info?.messageCount ?? 0, unseen: info?.unreadCount ?? 0 };
    } else {
      const all = await listMessages(store, null);
      counts = { messages: all.length, unseen: all.filter((summary) => !summary.read).length };
    }
    const values = wanted.flatMap((item) => {
      const value =
        item === "MESSAGES"
          ? counts.messages
          : item === "UNSEEN"
            ? counts.unseen
            : item === "RECENT"
              ? 0
              : item === "UIDNEXT"
                ? store.head + 1
                : uidValidity;
      return [atom(item), value];
    });
    await session.untaggedValues([atom("STATUS"), wireName, values]);
    await session.tagged(tag, "OK", "STATUS completed");
  },
};

/** Every folder is subscribed already; (un)subscribing is accepted and changes nothing. */
export const subscribe: ImapCommand = {
  states: AUTHENTICATED,
  async run(session, tag, args) {
    mailboxName(args);
    args.end();
    await session.tagged(tag, "OK", "Done (every mailbox is listed by LSUB)");
  },
};

/**
 * Mail arrives over SMTP only: folders cannot be made, renamed or removed, nor messages appended
 * or copied (RFC 5530 [CANNOT]).
 */
export function refused(what: string): ImapCommand {
  return {
    states: AUTHENTICATED,
    async run(session, tag) {
      await session.tagged(tag, "NO", `[CANNOT] ${what}: Mailnest mailboxes are filled over SMTP only`);
    },
  };
}

/** RFC 3501 section 6.4.1. */
export const check: ImapCommand = {
  states: SELECTED,
  async run(session, tag, args) {
    args.end();
    await session.flushUpdates(true);
    await session.tagged(tag, "OK", "CHECK completed");
  },
};
