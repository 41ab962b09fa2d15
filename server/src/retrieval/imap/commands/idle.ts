import { AUTHENTICATED, type ImapCommand } from "./command.js";

/**
 * RFC 2177. While idling, the selected mailbox's changes are pushed as they happen: `n EXISTS`
 * when mail is stored for it, `n EXPUNGE` and `FETCH (FLAGS …)` for changes made elsewhere. Ends
 * with the client's DONE.
 */
export const idle: ImapCommand = {
  states: AUTHENTICATED,
  async run(session, tag, args) {
    args.end();
    await session.continuation("idling");
    const view = session.selected?.view;
    let flushing: Promise<void> = session.flushUpdates(true);
    const stop = view?.onUpdate(() => {
      // Events arrive synchronously from the store; the writes follow in order.
      flushing = flushing.then(() => session.flushUpdates(true));
    });
    const line = await session.nextLine();
    stop?.();
    await flushing;
    if (line === null) return;
    if (line.trim().toUpperCase() !== "DONE") {
      await session.tagged(tag, "BAD", "IDLE ended by something other than DONE");
      return;
    }
    await session.tagged(tag, "OK", "IDLE terminated");
  },
};
