import { normalizeAddress } from "@mailnest/protocol";
import type { InboxRegistration } from "../message-index.js";
import type { InboxInfo } from "../message-store.js";
import { MESSAGE_ID_PATTERN, type MessageSummary } from "../model.js";
import type { ChangeFeed } from "./change-feed.js";
import { appendChange, type ChangeOp } from "./change-log.js";
import type { Sql, Tx } from "./connect.js";
import type { Replica } from "./replica.js";
import { databaseError } from "./unavailable.js";

/** How long a failed write-through of `createInbox` waits before it is tried again. */
const REGISTRATION_RETRY_MS = 1_000;

/**
 * Every change other than ingest: read flags, deletions, inboxes. Each is one transaction that
 * changes the rows and appends its ops to the change log (`appendChange`, last, so the clock row is
 * held only until COMMIT); then the call waits until this instance's replica has applied that
 * change, so the events are on the bus and the replica is current when it resolves, as with the
 * local store. Another instance sees the same events when its feed applies the change.
 */
export class PostgresWrites {
  readonly #sql: Sql;
  readonly #replica: Replica;
  readonly #feed: ChangeFeed;
  /** The `createInbox` write-throughs, in call order; inbox writes wait for them first. */
  #registrations: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(sql: Sql, replica: Replica, feed: ChangeFeed) {
    this.#sql = sql;
    this.#replica = replica;
    this.#feed = feed;
  }

  /**
   * Registers at once in the replica (the contract is synchronous: the API answers with the inbox)
   * and writes through in the background, in call order. Until the write commits, only this instance
   * lists the inbox; a write that fails (database down) is retried until it succeeds or the store
   * closes. Clearing or deleting an inbox on this instance waits for the pending writes first.
   */
  createInbox(address: string, options: { ttlMs?: number } = {}): InboxInfo {
    const { ttlMs } = options;
    if (ttlMs !== undefined && !(Number.isFinite(ttlMs) && ttlMs > 0)) {
      throw new TypeError(`Expected ttlMs to be a positive number of milliseconds, got ${ttlMs}`);
    }
    const normalized = normalizeAddress(address);
    if (normalized === "") throw new TypeError("Expected an inbox address, got an empty string");
    const existing = this.#replica.index.registration(normalized);
    const now = Date.now();
    const registration: InboxRegistration = {
      address: normalized,
      createdAt: existing?.createdAt ?? new Date(now).toISOString(),
      expiresAt: ttlMs === undefined ? (existing?.expiresAt ?? null) : new Date(now + ttlMs).toISOString(),
    };
    this.#replica.registerNow(registration);
    this.#registrations = this.#registrations.then(() => this.#writeRegistration(registration));
    return this.#replica.index.inbox(normalized)!;
  }

  /** Resolves once every `createInbox` so far is committed (or the store closed). */
  registrationsWritten(): Promise<void> {
    return this.#registrations;
  }

  async setRead(id: string, read: boolean): Promise<MessageSummary | null> {
    if (!MESSAGE_ID_PATTERN.test(id) || !this.#replica.index.get(id)) return null;
    await this.#write("marking a message read", async (tx) => {
      const rows = await tx<{ id: string }[]>`
        UPDATE mailnest_messages SET read = ${read} WHERE id = ${id} AND read <> ${read} RETURNING id`;
      return rows.length === 0 ? [] : [{ op: "updated", ids: [id] }];
    });
    return this.#replica.index.get(id) ?? null;
  }

  /** `address` null = every message. Returns how many changed. */
  async setInboxRead(address: string | null, read: boolean): Promise<number> {
    const inbox = address === null ? null : normalizeAddress(address);
    let changed = 0;
    await this.#write("marking an inbox read", async (tx) => {
      const rows = await tx<{ id: string }[]>`
        UPDATE mailnest_messages SET read = ${read}
        WHERE read <> ${read} ${inbox === null ? tx`` : tx`AND inboxes @> ARRAY[${inbox}]::text[]`}
        RETURNING id`;
      changed = rows.length;
      return rows.length === 0 ? [] : [{ op: "updated", ids: rows.map((row) => row.id) }];
    });
    return changed;
  }

  async deleteMessage(id: string): Promise<boolean> {
    if (!MESSAGE_ID_PATTERN.test(id) || !this.#replica.index.get(id)) return false;
    let deleted = false;
    await this.#write("deleting a message", async (tx) => {
      const rows = await tx<{ id: string }[]>`DELETE FROM mailnest_messages WHERE id = ${id} RETURNING id`;
      deleted = rows.length > 0;
      return deleted ? [{ op: "deleted", ids: [id] }] : [];
    });
    return deleted;
  }

  async deleteAll(): Promise<number> {
    let count = 0;
    await this.#write("deleting every message", async (tx) => {
      const rows = await tx<{ id: string }[]>`DELETE FROM mailnest_messages RETURNING id`;
      count = rows.length;
      return count === 0 ? [] : [{ op: "deleted", ids: rows.map((row) => row.id) }];
    });
    return count;
  }

  /** Deletes what only this inbox lists and takes the inbox off the others. Returns how many. */
  async clearInbox(address: string): Promise<number> {
    const inbox = normalizeAddress(address);
    await this.#registrations;
    let count = 0;
    await this.#write("clearing an inbox", async (tx) => {
      const cleared = await clearOps(tx, inbox);
      count = cleared.count;
      const [registered] = await tx`SELECT 1 FROM mailnest_inboxes WHERE address = ${inbox}`;
      const announce = cleared.count > 0 || registered !== undefined;
      return announce ? [...cleared.ops, { op: "cleared", address: inbox }] : [];
    });
    return count;
  }

  /** Clears the inbox and forgets its registration; false when it was not listed. */
  async deleteInbox(address: string): Promise<boolean> {
    const inbox = normalizeAddress(address);
    await this.#registrations;
    let listed = false;
    await this.#write("deleting an inbox", async (tx) => {
      const cleared = await clearOps(tx, inbox);
      const registrations = await tx`DELETE FROM mailnest_inboxes WHERE address = ${inbox} RETURNING address`;
      listed = cleared.count > 0 || registrations.length > 0;
      if (!listed) return [];
      return [...cleared.ops, { op: "cleared", address: inbox }, { op: "unregistered", address: inbox }];
    });
    return listed;
  }

  close(): void {
    this.#closed = true;
  }

  /** One transaction; its ops (none: nothing changed) are appended last, then applied here. */
  async #write(operation: string, change: (tx: Tx) => Promise<ChangeOp[]>): Promise<void> {
    let committed: number | null;
    try {
      committed = await this.#sql.begin(async (tx) => {
        const ops = await change(tx);
        if (ops.length === 0) return null;
        return appendChange(tx, ops, this.#replica.instance);
      });
    } catch (error) {
      throw databaseError(`${operation} in PostgreSQL`, error);
    }
    if (committed === null) return;
    try {
      await this.#feed.reach(committed);
    } catch (error) {
      // Committed: the change stands, and this replica applies it once the feed can read again.
      console.error(`mailnest: ${operation} is committed but not yet visible here:`, error);
    }
  }

  async #writeRegistration(registration: InboxRegistration): Promise<void> {
    for (;;) {
      try {
        await this.#write("creating an inbox", async (tx) => {
          await tx`
            INSERT INTO mailnest_inboxes (address, created_at, expires_at)
            VALUES (${registration.address}, ${registration.createdAt}, ${registration.expiresAt})
            ON CONFLICT (address) DO UPDATE SET expires_at = EXCLUDED.expires_at`;
          return [{ op: "registered", address: registration.address }];
        });
        return;
      } catch (error) {
        if (this.#closed) return;
        console.error(
          `mailnest: could not save the inbox ${registration.address} to PostgreSQL, retrying:`,
          error instanceof Error ? error.message : error,
        );
        await new Promise((resolve) => setTimeout(resolve, REGISTRATION_RETRY_MS));
        if (this.#closed) return;
      }
    }
  }
}

/** The clearing part of `clearInbox` and `deleteInbox`. */
async function clearOps(tx: Tx, inbox: string): Promise<{ count: number; ops: ChangeOp[] }> {
  const deleted = await tx<{ id: string }[]>`
    DELETE FROM mailnest_messages
    WHERE inboxes @> ARRAY[${inbox}]::text[] AND cardinality(inboxes) <= 1 RETURNING id`;
  const updated = await tx<{ id: string }[]>`
    UPDATE mailnest_messages SET inboxes = array_remove(inboxes, ${inbox})
    WHERE inboxes @> ARRAY[${inbox}]::text[] RETURNING id`;
  const ops: ChangeOp[] = [];
  if (deleted.length > 0) ops.push({ op: "deleted", ids: deleted.map((row) => row.id) });
  if (updated.length > 0) ops.push({ op: "updated", ids: updated.map((row) => row.id) });
  return { count: deleted.length + updated.length, ops };
}
