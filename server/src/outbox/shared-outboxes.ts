/**
 * Outboxes whose journal is kept outside this process and shared by every instance of one sandbox
 * (PostgreSQL: `store/postgres/postgres-outboxes.ts`, docs/scaling.md "Webhooks"). Every instance
 * applies every record, in one order, so each holds the same lanes and jobs; one instance at a time
 * (the holder of the outbox's delivery turn) makes the attempts.
 */

/** What `Outbox` needs of its journal, file-backed (`Journal`) or shared. */
export interface RecordJournal<R> {
  /**
   * Resolves once the record is durable and applied to the owner's state (with every record
   * committed before it, by any instance); rejects when it could not be stored (nothing applied).
   */
  append(record: R, options?: { durable?: boolean }): Promise<void>;
  /**
   * Runs `work` while no other instance runs work under the same journal's `exclusive`, after this
   * instance has applied every record committed before: for read-then-write steps such as "add the
   * `--webhook` endpoint unless an instance already did".
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface SharedJournalOptions<R> {
  /** Checks a stored record; null skips it. */
  parse(value: unknown): R | null;
  /** Applies a record, synchronously, in the journal's one order. Must not throw. */
  apply(record: R): void;
  /** The owner's whole state as records: stored in place of the records before it (compaction). */
  snapshot(): R[];
  /** Forgets the whole state: a snapshot's records follow (an instance that fell behind a compaction). */
  reset(): void;
}

/** Whether this instance is, for now, the one that makes an outbox's attempts. */
export interface DeliveryTurn {
  readonly held: boolean;
  /** Called when `held` changes. Returns the unsubscribe function. */
  onChange(listener: (held: boolean) => void): () => void;
  close(): Promise<void>;
}

export interface SharedOutboxes {
  openJournal<R>(name: string, options: SharedJournalOptions<R>): Promise<RecordJournal<R>>;
  /** Starts competing for the named outbox's delivery turn. */
  deliveryTurn(name: string): DeliveryTurn;
}
