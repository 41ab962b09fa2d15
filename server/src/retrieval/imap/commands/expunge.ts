import type { ImapContext } from "../imap-context.js";
import { type ImapCommand, SELECTED } from "./command.js";

/**
 * Deletes the messages marked \Deleted from the store: a deletion anywhere is a deletion everywhere,
 * so a message listed in several inboxes leaves all of them (docs/retrieval.md). Every session with
 * the message in view hears of it as EXPUNGE, this one included.
 */
async function expungeDeleted(session: ImapContext): Promise<void> {
  const { view } = session.selected!;
  const { store, flags } = session.deps.model;
  for (let seq = 1; seq <= view.size; seq++) {
    const entry = view.at(seq)!;
    if (!entry.gone && flags.has(entry.id, "\\Deleted")) await store.deleteMessage(entry.id);
  }
}

/** RFC 3501 section 6.4.3. */
export const expunge: ImapCommand = {
  states: SELECTED,
  async run(session, tag, args) {
    args.end();
    if (session.selected!.readOnly) {
      await session.tagged(tag, "NO", "[READ-ONLY] The mailbox is selected with EXAMINE");
      return;
    }
    await expungeDeleted(session);
    await session.flushUpdates(true);
    await session.tagged(tag, "OK", "EXPUNGE completed");
  },
};

/** RFC 3501 section 6.4.2: expunges silently (read-write only), then leaves the mailbox. */
export const close: ImapCommand = {
  states: SELECTED,
  async run(session, tag, args) {
    args.end();
    if (!session.selected!.readOnly) await expungeDeleted(session);
    session.closeMailbox();
    await session.tagged(tag, "OK", "CLOSE completed");
  },
};

/** RFC 3691: leaves the mailbox without expunging. */
export const unselect: ImapCommand = {
  states: SELECTED,
  async run(session, tag, args) {
    args.end();
    session.closeMailbox();
    await session.tagged(tag, "OK", "UNSELECT completed");
  },
};
