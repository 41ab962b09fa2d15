import type { MessageQuery, MessageStore } from "../../store/message-store.js";
import type { MessageSummary } from "../../store/model.js";

/** The store's largest page. */
const PAGE = 500;

/**
 * Every message of an inbox (or of the whole store, for null), oldest first: sequence order, which
 * is UID order for IMAP and message-number order for POP3.
 */
export async function listMessages(store: MessageStore, inbox: string | null): Promise<MessageSummary[]> {
  const newestFirst: MessageSummary[] = [];
  let cursor: string | null = null;
  do {
    const query: MessageQuery = { limit: PAGE };
    if (inbox !== null) query.inbox = inbox;
    if (cursor !== null) query.cursor = cursor;
    const page = await store.list(query);
    newestFirst.push(...page.messages);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return newestFirst.reverse();
}
