import type { EventBus } from "../events/bus.js";
import type { MessageStore, SharedMessageFlags } from "../store/message-store.js";
import type { RetrievalAccess } from "./mailbox/account.js";
import { MessageContent } from "./mailbox/message-content.js";
import { MessageFlags } from "./mailbox/message-flags.js";
import { loadUidValidity } from "./mailbox/uid-validity.js";
import type { RetrievalLogin, RetrievalModel } from "./retrieval-deps.js";

/**
 * The model one store's POP3 and IMAP servers share: the flags the store has no place for, the
 * message-bytes cache and UIDVALIDITY (the store's sequence epoch where it keeps one, as PostgreSQL
 * does for every instance on a database; otherwise kept in the data directory). `close()` unsubscribes.
 */
export async function createRetrievalModel(options: {
  store: MessageStore;
  bus: EventBus;
  dataDir: string | null;
  access: RetrievalAccess;
  onLogin?: (login: RetrievalLogin) => void;
  /** The flags of a sandbox shared by several instances (PostgreSQL); the model does not close them. */
  sharedFlags?: SharedMessageFlags | null;
}): Promise<RetrievalModel & { close(): void }> {
  const flags = await MessageFlags.open(options.bus, options.sharedFlags ?? null);
  return {
    store: options.store,
    bus: options.bus,
    flags,
    content: new MessageContent(options.store),
    uidValidity: options.store.sequenceEpoch ?? (await loadUidValidity(options.dataDir)),
    access: options.access,
    onLogin: options.onLogin ?? (() => {}),
    close: () => flags.close(),
  };
}
