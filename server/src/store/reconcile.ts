import type { BlobStore } from "./blob-store.js";
import { hashStream } from "./hash-stream.js";
import { mapConcurrently } from "./map-concurrently.js";
import type { MessageParser } from "./message-store.js";
import type { MessageSummary } from "./model.js";
import type { IndexState, PersistedIndex } from "./persisted-index.js";
import { recoverSidecar } from "./recover-sidecar.js";
import { type Sidecar, summaryFromSidecar } from "./sidecar.js";
import { timeFromId } from "./ulid.js";

/** Sidecars read in parallel while rebuilding: enough to hide disk latency, few enough to stay small. */
const READ_CONCURRENCY = 16;

export interface Reconciled {
  summaries: MessageSummary[];
  state: IndexState;
}

/**
 * Startup: makes the index agree with the files, which are the truth.
 *
 * - Temporary files (messages that never committed) are removed.
 * - Index entries whose `.eml` is gone are dropped.
 * - Sidecars without an `.eml` (a crash before the commit rename) are removed.
 * - `.eml` files the index does not know (a crash before the debounced index flush, or a deleted
 *   index folder) are re-added from their sidecar, keeping their sequence; without a readable sidecar
 *   they are re-parsed and get a new sequence above every known one.
 *
 * Every change is marked on `persisted`, so the next flush writes the repaired shards.
 *
 * After a clean shutdown (`clean-shutdown.ts`) whose index still holds as many summaries as it
 * recorded, the files are not listed at all: the index is their exact account, and listing 100,000
 * names was a good part of a restart.
 */
export async function reconcile(
  blobs: BlobStore,
  persisted: PersistedIndex,
  parser: MessageParser,
): Promise<Reconciled> {
  const { summaries: indexed, state } = await persisted.load();
  // After a clean shutdown the index is the files' exact account, unless a shard went missing since.
  const trusted = blobs.cleanShutdown && state.messageCount === indexed.length;
  const scan = trusted ? null : await blobs.scan();

  const byId = new Map<string, MessageSummary>();
  for (const summary of indexed) {
    if ((scan === null || scan.raw.has(summary.id)) && !byId.has(summary.id)) byId.set(summary.id, summary);
    else persisted.markSequence(summary.sequence);
  }

  for (const id of scan?.orphanSidecars ?? []) await blobs.remove(id);

  // ULIDs sort by arrival, so re-numbered messages keep their relative order.
  const unindexed = [...(scan?.raw ?? [])].filter((id) => !byId.has(id)).sort();
  const sidecars = await mapConcurrently(unindexed, READ_CONCURRENCY, (id) => blobs.readSidecar(id));
  const renumber: { id: string; sidecar: Sidecar | null }[] = [];
  unindexed.forEach((id, position) => {
    const sidecar = sidecars[position] ?? null;
    if (sidecar === null) {
      renumber.push({ id, sidecar: null });
      return;
    }
    const summary = summaryFromSidecar(sidecar, false);
    byId.set(id, summary);
    persisted.markSequence(summary.sequence);
  });

  // Two messages claiming one sequence would break cursors; the later id gets a new number.
  const summaries = [...byId.values()].sort((a, b) => a.sequence - b.sequence || a.id.localeCompare(b.id));
  const unique: MessageSummary[] = [];
  for (const summary of summaries) {
    if (unique.length > 0 && unique.at(-1)!.sequence === summary.sequence) {
      renumber.push({ id: summary.id, sidecar: await blobs.readSidecar(summary.id) });
    } else {
      unique.push(summary);
    }
  }

  let lastSequence = Math.max(state.lastSequence, unique.at(-1)?.sequence ?? 0);
  for (const { id, sidecar: existing } of renumber.sort((a, b) => a.id.localeCompare(b.id))) {
    lastSequence += 1;
    const sidecar = existing
      ? { ...existing, sequence: lastSequence }
      : await recoverFromRaw(blobs, parser, id, lastSequence);
    if (sidecar === null) continue;
    await blobs.writeSidecar(sidecar);
    const summary = summaryFromSidecar(sidecar, false);
    unique.push(summary);
    persisted.markSequence(summary.sequence);
  }
  if (lastSequence !== state.lastSequence) persisted.markState();

  return { summaries: unique, state: { ...state, lastSequence } };
}

async function recoverFromRaw(
  blobs: BlobStore,
  parser: MessageParser,
  id: string,
  sequence: number,
): Promise<Sidecar | null> {
  const stream = await blobs.readRaw(id);
  if (stream === null) return null;
  const raw = await hashStream(stream);
  return recoverSidecar(blobs, parser, id, sequence, raw, timeFromId(id));
}
