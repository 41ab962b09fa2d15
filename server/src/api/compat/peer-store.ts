import type { Readable } from "node:stream";
import type { MessageFilter, MessageStore } from "../../store/message-store.js";
import type { MessageSummary } from "../../store/model.js";

/**
 * What the peer adapters (docs/compatibility.md) read of the store beyond `get`: the peers page by
 * offset (`start`, `skip`) and count matches, where the store pages by cursor, so they walk it.
 */

/** The store's largest page: the fewest round trips for a walk over everything. */
const WALK_PAGE = 500;

/** Every summary matching `filter`, newest first, one store page at a time. */
export async function* allSummaries(
  store: MessageStore,
  filter: MessageFilter = {},
): AsyncGenerator<MessageSummary> {
  let cursor: string | null = null;
  do {
    const page = await store.list({ ...filter, limit: WALK_PAGE, ...(cursor === null ? {} : { cursor }) });
    yield* page.messages;
    cursor = page.nextCursor;
  } while (cursor !== null);
}

/** The summaries for which `keep` holds, newest first. */
export async function collectSummaries(
  store: MessageStore,
  keep: (summary: MessageSummary) => boolean | Promise<boolean> = () => true,
  filter: MessageFilter = {},
): Promise<MessageSummary[]> {
  const found: MessageSummary[] = [];
  for await (const summary of allSummaries(store, filter)) if (await keep(summary)) found.push(summary);
  return found;
}

/** The exact bytes as received, or null for an unknown id (`readRaw` verifies them). */
export async function readRawBytes(store: MessageStore, id: string): Promise<Buffer | null> {
  const raw = await store.readRaw(id);
  return raw === null ? null : readAll(raw);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/** Deletes each id that exists; unknown ids are skipped, as the peers skip them. */
export async function deleteMessages(store: MessageStore, ids: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const id of ids) if (await store.deleteMessage(id)) deleted += 1;
  return deleted;
}

/** Sets the read flag of each id that exists. */
export async function setReadFlags(
  store: MessageStore,
  ids: readonly string[],
  read: boolean,
): Promise<void> {
  for (const id of ids) await store.setRead(id, read);
}
