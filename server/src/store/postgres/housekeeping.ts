import { DeadlineTimer } from "../deadline-timer.js";
import { nextAgeDeadline, type RetentionPolicy } from "../retention.js";
import type { ChangeFeed } from "./change-feed.js";
import { appendChange } from "./change-log.js";
import type { Sql } from "./connect.js";
import type { Replica } from "./replica.js";
import { ADVISORY_LOCK } from "./schema.js";
import type { PostgresWrites } from "./writes.js";

/** How long the change log keeps an entry: a replica away for longer reloads from a snapshot. */
const CHANGE_LOG_KEEP = "1 hour";
/** When another instance holds the housekeeping lock, look again this much later. */
const BUSY_RETRY_MS = 250;
/** A sweep runs at least this often, so the change log is pruned even while nothing else is due. */
const PERIODIC_SWEEP_MS = 10 * 60 * 1000;

/**
 * Retention (`maxMessages`, `maxAgeMs`), inbox TTLs and pruning of the change log, run by whichever
 * instance gets there first: the pruning transaction takes `pg_try_advisory_xact_lock`, so one
 * instance prunes and the others skip (and look again shortly, in case the holder's snapshot missed
 * their newest mail). The deletions reach every instance through the change log like any other.
 * Triggered when mail arrives (any instance's) and by one timer for the earliest deadline.
 */
export class PostgresHousekeeping {
  readonly #sql: Sql;
  readonly #replica: Replica;
  readonly #writes: Pick<PostgresWrites, "deleteInbox">;
  readonly #policy: RetentionPolicy;
  readonly #feed: Pick<ChangeFeed, "reach">;
  readonly #timer = new DeadlineTimer(() => this.sweep());
  #running: Promise<void> | null = null;
  #again = false;
  #retry: NodeJS.Timeout | null = null;
  #stopped = false;
  readonly #periodic: NodeJS.Timeout;

  constructor(
    sql: Sql,
    replica: Replica,
    feed: Pick<ChangeFeed, "reach">,
    writes: Pick<PostgresWrites, "deleteInbox">,
    policy: RetentionPolicy,
  ) {
    this.#sql = sql;
    this.#feed = feed;
    this.#replica = replica;
    this.#writes = writes;
    this.#policy = policy;
    this.#periodic = setInterval(() => void this.sweep(), PERIODIC_SWEEP_MS);
    this.#periodic.unref();
  }

  /** Whether the replica holds more than `maxMessages`. */
  get overLimit(): boolean {
    return this.#replica.index.count > this.#policy.maxMessages;
  }

  /** Mail arrived (any instance's): prune when there is too much, and re-arm the age deadline. */
  afterStored(): void {
    if (this.overLimit) void this.sweep();
    this.#timer.schedule(nextAgeDeadline(this.#replica.index.oldest(), this.#policy));
  }

  /** An inbox expires at `expiresAt` (ISO-8601), or never. */
  inboxExpires(expiresAt: string | null): void {
    if (expiresAt !== null) this.#timer.schedule(Date.parse(expiresAt));
  }

  /** Runs the whole sweep now (one at a time; a request meanwhile runs it once more after). */
  sweep(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#sweepOnce();
        } while (this.#again && !this.#stopped);
      } catch (error) {
        if (!this.#stopped) {
          console.error(
            "mailnest: PostgreSQL housekeeping failed:",
            error instanceof Error ? error.message : error,
          );
        }
      } finally {
        this.#running = null;
      }
    })();
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer.stop();
    clearInterval(this.#periodic);
    if (this.#retry) clearTimeout(this.#retry);
    await this.#running;
  }

  async #sweepOnce(): Promise<void> {
    const now = Date.now();
    for (const registration of this.#replica.index.registrations()) {
      if (registration.expiresAt !== null && Date.parse(registration.expiresAt) <= now) {
        await this.#writes.deleteInbox(registration.address);
      }
    }
    const pruned = await this.#prune(now);
    if (pruned === null && !this.#stopped) {
      this.#retry ??= setTimeout(() => {
        this.#retry = null;
        void this.sweep();
      }, BUSY_RETRY_MS);
    }
    let next: number | null = null;
    for (const registration of this.#replica.index.registrations()) {
      const at = registration.expiresAt === null ? null : Date.parse(registration.expiresAt);
      if (at !== null && (next === null || at < next)) next = at;
    }
    this.#timer.schedule(next);
    this.#timer.schedule(nextAgeDeadline(this.#replica.index.oldest(), this.#policy));
  }

  /**
   * Deletes the oldest messages beyond `maxMessages` and those older than `maxAgeMs`, in one
   * transaction under the housekeeping lock; null when another instance holds it.
   */
  async #prune(now: number): Promise<number | null> {
    const { maxMessages, maxAgeMs } = this.#policy;
    const cutoff = maxAgeMs === null ? null : now - maxAgeMs;
    const change = await this.#sql.begin(async (tx) => {
      const [lock] = await tx<{ locked: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(${ADVISORY_LOCK.housekeeping.toString()}::bigint) AS locked`;
      if (!lock?.locked) return null;
      const deleted = await tx<{ id: string }[]>`
        DELETE FROM mailnest_messages
        WHERE sequence <= (SELECT sequence FROM mailnest_messages ORDER BY sequence DESC OFFSET ${maxMessages} LIMIT 1)
          ${cutoff === null ? tx`` : tx`OR floor(received_time) < ${cutoff}`}
        RETURNING id`;
      // Keep the newest entry always: a replica behind it then finds a gap and reloads.
      // A prefix by change number (committed_at is when a transaction began, not when it committed).
      await tx`
        DELETE FROM mailnest_changes
        WHERE change <= (
            SELECT max(change) FROM mailnest_changes WHERE committed_at < now() - ${CHANGE_LOG_KEEP}::interval)
          AND change < (SELECT max(change) FROM mailnest_changes)`;
      if (deleted.length === 0) return 0;
      return appendChange(tx, [{ op: "deleted", ids: deleted.map((row) => row.id) }], this.#replica.instance);
    });
    if (change === null) return null;
    if (change > 0) await this.#feed.reach(change);
    return change;
  }
}
