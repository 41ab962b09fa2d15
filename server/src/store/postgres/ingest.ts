import type { Readable } from "node:stream";
import type { Clock } from "../../clock.js";
import { BufferedSink } from "../buffered-sink.js";
import type { DuplicateWindow } from "../duplicate-window.js";
import type { MessageAuthenticator, MessageParser } from "../message-store.js";
import type { IncomingEnvelope, MessageSummary, StoredMessage } from "../model.js";
import { receiveRaw } from "../receive-raw.js";
import { examineReceived, newSidecar } from "../received-message.js";
import { type Sidecar, storedMessage, summaryFromSidecar } from "../sidecar.js";
import type { ChangeFeed } from "./change-feed.js";
import type { GroupCommit } from "./group-commit.js";
import { databaseError } from "./unavailable.js";

/** Where received bytes go: memory, whatever the size (the SMTP layer caps it with `maxSize`). */
const inMemory = {
  createSink: async () =>
    new BufferedSink(Number.POSITIVE_INFINITY, () => Promise.reject(new Error("a memory sink never spills"))),
};

export interface IngestParts {
  clock: Clock;
  parser: MessageParser;
  authenticator: MessageAuthenticator | null;
  duplicates: DuplicateWindow;
  commits: GroupCommit;
  feed: ChangeFeed;
  /** The sidecar of a message this instance just stored, for `get` and text filters without a read. */
  remember(sidecar: Sidecar): void;
  /** The live summary, once the message is in the replica. */
  summary(id: string): MessageSummary | null;
}

/**
 * The way in: receive the bytes (counted, hashed, size-capped, in memory), parse and verify them,
 * then hand them to the group commit. Resolves only after COMMIT, and after this instance's replica
 * has applied the change (so a `get`, `list` or wait here sees the message as soon as the 250 goes
 * out, and `message.stored` was announced on the bus).
 */
export async function ingestMessage(
  parts: IngestParts,
  raw: Readable,
  incoming: IncomingEnvelope,
  maxSize: number,
): Promise<StoredMessage> {
  const received = await receiveRaw(raw, inMemory, maxSize, parts.clock);
  const bytes = (received.sink as BufferedSink).bytes();
  const unsequenced = newSidecar(await examineReceived(parts, received, incoming), 0, parts.duplicates);
  const { id } = unsequenced;
  const { sequence: _unset, ...sidecar } = unsequenced;
  const { sequence: _none, ...summary } = summaryFromSidecar(unsequenced, false);

  let committed: { sequence: number; change: number };
  try {
    committed = await parts.commits.commit({ sidecar, summary, raw: bytes });
  } catch (error) {
    parts.duplicates.forget(id);
    throw databaseError("committing the message to PostgreSQL", error);
  }
  const stored: Sidecar = { ...sidecar, sequence: committed.sequence };
  parts.remember(stored);
  try {
    await parts.feed.reach(committed.change);
  } catch (error) {
    // Committed, so the 250 is due: the replica gets it when the feed can read again.
    console.error(`mailnest: message ${id} is committed but not yet visible here:`, error);
  }
  return storedMessage(parts.summary(id) ?? { ...summary, sequence: committed.sequence }, stored);
}
