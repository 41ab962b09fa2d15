import { BatchQueue, SerialRunner } from "../../outbox/batch-queue.js";
import type { RecordJournal, SharedJournalOptions } from "../../outbox/shared-outboxes.js";
import type { Sql, Tx } from "./connect.js";
import { ADVISORY_LOCK, JOURNAL_CHANNEL } from "./schema.js";

/** Records after the last snapshot beyond which the appender that crossed it writes a new one. */
const DEFAULT_COMPACT_AFTER_RECORDS = 5_000;
/** Rows read per query while catching up. */
const READ_BATCH = 1_000;

interface Pending<R> {
  record: R;
  resolve(): void;
  reject(error: unknown): void;
}

interface JournalRow {
  seq: number;
  kind: "record" | "snapshot";
  body: unknown;
  through: number | null;
}

export interface PostgresJournalOptions<R> extends SharedJournalOptions<R> {
  compactAfterRecords?: number;
}

/**
 * A journal of JSON records in `mailnest_journal`, shared by every instance of a sandbox: each
 * applies every record, its own and the others', in the order of `seq`, so all hold the same state.
 *
 * Appends take `ADVISORY_LOCK.journalAppend` until their commit and number their rows max + 1, so a
 * row becomes visible only after every row before it: a reader that has applied up to N never
 * finds a row below N later (the gap a sequence allocated before commit would leave). Appends of one
 * event-loop turn go in one transaction. `append` resolves once the row is committed **and** this
 * instance has applied it (with every row before it), as the file journal does.
 *
 * Other instances hear of an append through NOTIFY on `JOURNAL_CHANNEL` (payload: the journal's
 * name) and read what is new; after their LISTEN connection was lost they read everything past
 * what they applied, so nothing is missed for good.
 *
 * Compaction: once more than `compactAfterRecords` records follow the last snapshot, the appender
 * that crossed the line writes a snapshot row (its whole state, under the append lock, after
 * applying every committed row) and deletes the rows before the previous snapshot. An instance that
 * had applied every record a snapshot covers skips it (its state is the same); one further behind
 * than the previous snapshot (it was away) starts over from the oldest snapshot kept.
 */
export class PostgresJournal<R> implements RecordJournal<R> {
  readonly #sql: Sql;
  readonly #name: string;
  readonly #options: PostgresJournalOptions<R>;
  readonly #compactAfter: number;
  /** The seq of the last row applied (or skipped as already applied). */
  #applied = 0;
  #sinceSnapshot = 0;
  readonly #batches = new BatchQueue<Pending<R>>((batch) => this.#commitBatch(batch));
  /** Reads and compactions of this instance, one at a time, so no row is applied twice. */
  readonly #local = new SerialRunner();
  /** A read queued behind the running work, not started yet: it will see everything committed so far. */
  #queuedRead: Promise<void> | null = null;
  #closed = false;

  /** Nothing is applied until the first `catchUp()`. */
  constructor(sql: Sql, name: string, options: PostgresJournalOptions<R>) {
    this.#sql = sql;
    this.#name = name;
    this.#options = options;
    this.#compactAfter = options.compactAfterRecords ?? DEFAULT_COMPACT_AFTER_RECORDS;
  }

  /** Reads and applies every row committed past what this instance applied (on NOTIFY, after LISTEN is back). */
  catchUp(): Promise<void> {
    // One read waiting behind the running one is enough: it starts after, so it sees all of it.
    this.#queuedRead ??= this.#local.run(async () => {
      this.#queuedRead = null;
      await this.#read(this.#sql);
    });
    return this.#queuedRead;
  }

  append(record: R): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the journal is closed"));
    return new Promise((resolve, reject) => {
      this.#batches.push({ record, resolve, reject });
    });
  }

  /**
   * The lock is a transaction's, held on one pooled connection while `work` runs (and appends
   * through others): PostgreSQL releases it when the transaction ends, however it ends.
   */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    let result: T | undefined;
    await this.#sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.journalExclusive.toString()}::bigint)`;
      await this.catchUp();
      result = await work();
    });
    return result as T;
  }

  /** Waits for the appends queued, then refuses more. The pool is its owner's to end. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#batches.drained;
    await this.#local.idle;
  }

  async #commitBatch(batch: Pending<R>[]): Promise<void> {
    try {
      await this.#insert(batch.map((pending) => pending.record));
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    try {
      // Started after the commit (a read queued but not started counts), so it applies the rows.
      await this.catchUp();
    } catch (error) {
      // Committed, so other instances apply it; this one will at its next successful read.
      for (const pending of batch) pending.reject(error);
      return;
    }
    // Before the batch resolves, so that whoever waits for it finds the journal compacted.
    if (this.#sinceSnapshot > this.#compactAfter) {
      await this.#local
        .run(() => this.#compact())
        .catch((error: unknown) => {
          console.error(`mailnest: compacting the ${this.#name} journal in PostgreSQL failed:`, error);
        });
    }
    for (const pending of batch) pending.resolve();
  }

  /**
   * Commits the records as rows. Each goes as JSON text cast to `json`: `json_array_elements` (like
   * `jsonb`) refuses a `\u0000`, which a message's header field may hold. (A parameter cast straight
   * to `json` would be typed json by the server and serialized again by the client: hence `::text`.)
   */
  async #insert(records: R[]): Promise<void> {
    await this.#sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.journalAppend.toString()}::bigint)`;
      await tx`
        INSERT INTO mailnest_journal (seq, journal, kind, body)
        SELECT (SELECT coalesce(max(seq), 0) FROM mailnest_journal) + ordinality, ${this.#name}, 'record', text::json
        FROM unnest(${tx.array(records.map((record) => JSON.stringify(record)))}::text[]) WITH ORDINALITY AS t(text, ordinality)`;
      await tx`SELECT pg_notify(${JOURNAL_CHANNEL}, ${this.#name})`;
    });
  }

  /** Applies the rows past `#applied`, oldest first. Only ever inside `#local`. */
  async #read(sql: Sql | Tx): Promise<void> {
    for (;;) {
      const rows = await sql<JournalRow[]>`
        SELECT seq, kind, body, through FROM mailnest_journal
        WHERE journal = ${this.#name} AND seq > ${this.#applied}
        ORDER BY seq LIMIT ${READ_BATCH}`;
      for (const row of rows) this.#applyRow(row);
      if (rows.length < READ_BATCH) return;
    }
  }

  #applyRow(row: JournalRow): void {
    if (row.kind === "snapshot") {
      // `through` is the last record the snapshot covers: the same as this instance's, its state is
      // the snapshot's. Otherwise records it never applied were deleted with the compaction.
      if (row.through !== this.#applied) {
        this.#options.reset();
        for (const value of row.body as unknown[]) this.#applyValue(value);
      }
      this.#sinceSnapshot = 0;
    } else {
      this.#applyValue(row.body);
      this.#sinceSnapshot += 1;
    }
    this.#applied = row.seq;
  }

  #applyValue(value: unknown): void {
    const record = this.#options.parse(value);
    if (record !== null) this.#options.apply(record);
  }

  /** Writes the state as a snapshot row and deletes the rows before it. Only ever inside `#local`. */
  async #compact(): Promise<void> {
    const seq = await this.#sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.journalAppend.toString()}::bigint)`;
      // Under the lock nothing more can commit: after this read the state is the journal's whole.
      await this.#read(tx);
      if (this.#sinceSnapshot <= this.#compactAfter) return null; // another instance just did it
      const [previous] = await tx<{ seq: number | null }[]>`
        SELECT max(seq) AS seq FROM mailnest_journal WHERE journal = ${this.#name} AND kind = 'snapshot'`;
      const [row] = await tx<{ seq: number }[]>`
        INSERT INTO mailnest_journal (seq, journal, kind, body, through)
        SELECT coalesce(max(seq), 0) + 1, ${this.#name}, 'snapshot',
          ${JSON.stringify(this.#options.snapshot())}::text::json, ${this.#applied}
        FROM mailnest_journal
        RETURNING seq`;
      // One generation is kept: an instance a little behind (it had not read the last records when
      // this snapshot was taken) reads them and then skips the snapshot, instead of starting over.
      if (previous?.seq != null) {
        await tx`DELETE FROM mailnest_journal WHERE journal = ${this.#name} AND seq < ${previous.seq}`;
      }
      await tx`SELECT pg_notify(${JOURNAL_CHANNEL}, ${this.#name})`;
      return row!.seq;
    });
    if (seq !== null) {
      this.#applied = seq;
      this.#sinceSnapshot = 0;
    }
  }
}
