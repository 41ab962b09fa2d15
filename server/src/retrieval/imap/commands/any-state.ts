import { SERVER_VERSION } from "../../../version.js";
import type { WireValue } from "../wire/wire-value.js";
import { ANY_STATE, type ImapCommand } from "./command.js";

/** RFC 3501 section 6.1.1. */
export const capability: ImapCommand = {
  states: ANY_STATE,
  async run(session, tag, args) {
    args.end();
    await session.untagged(`CAPABILITY ${session.capabilities().join(" ")}`);
    await session.tagged(tag, "OK", "CAPABILITY completed");
  },
};

/** RFC 3501 section 6.1.2: also the moment to hear about changes, expunges included. */
export const noop: ImapCommand = {
  states: ANY_STATE,
  async run(session, tag, args) {
    args.end();
    await session.flushUpdates(true);
    await session.tagged(tag, "OK", "NOOP completed");
  },
};

/** RFC 3501 section 6.1.3. */
export const logout: ImapCommand = {
  states: ANY_STATE,
  async run(session, tag, args) {
    args.end();
    await session.logout(tag);
  },
};

/** RFC 2971: the client's ID is read and ignored; the server names itself. */
export const id: ImapCommand = {
  states: ANY_STATE,
  async run(session, tag, args) {
    const first = args.peek();
    if (first?.kind === "list") {
      const list = args.list("ID fields");
      while (!list.done) {
        list.astring("an ID field name");
        const value = list.peek();
        if (value?.kind === "atom" && value.text.toUpperCase() === "NIL") list.next("NIL");
        else list.astring("an ID field value");
      }
    } else {
      args.atom("NIL or a list", /^NIL$/i);
    }
    args.end();
    const fields: WireValue[] = ["name", "Mailnest", "version", SERVER_VERSION];
    await session.untaggedValues([{ atom: "ID" }, fields]);
    await session.tagged(tag, "OK", "ID completed");
  },
};
