import type { IndexedSummary, MessageQuery, MessageStore } from "../../store/message-store.js";

/** The store's largest page. */
const PAGE = 500;

/**
 * Every message of an inbox (or of the whole store, for null), oldest first: sequence order, which
 * is UID order for IMAP and message-number order for POP3. Without snippets, which neither shows:
 * the store's own summaries, so a session holds no copies of them.
 */
export async function listMessages(store: MessageStore, inbox: string | null): Promise<IndexedSummary[]> {
  const newestFirst: IndexedSummary[] = [];
  let cursor: string | null = null;
  do {
    const query: MessageQuery = { limit: PAGE };
    if (inbox !== null) query.inbox = inbox;
    if (cursor !== null) query.cursor = cursor;
    const page = await store.listIndexed(query);
    newestFirst.push(...page.messages);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return newestFirst.reverse();
}
