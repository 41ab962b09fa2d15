import type { MessageSummary } from "../model.js";
import type { Sidecar } from "../sidecar.js";
import { appendChange } from "./change-log.js";
import type { Sql, Tx } from "./connect.js";

/** A parsed message waiting for its transaction; its sequence is given there. */
export interface ReadyMessage {
  /** Without `sequence`: filled in once the transaction has allocated it. */
  sidecar: Omit<Sidecar, "sequence">;
  summary: Omit<MessageSummary, "sequence">;
  raw: Buffer;
}

export interface Committed {
  sequence: number;
  change: number;
}

/** `json`: serialised by the client with JSON.stringify, stored as written. */
const JSON_OID = 114;
/** At most this many messages, or this many raw bytes, go into one transaction. */
const MAX_BATCH_MESSAGES = 64;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

interface Waiting {
  message: ReadyMessage;
  resolve(committed: Committed): void;
  reject(error: unknown): void;
}

/**
 * Group commit: the messages that became ready while the previous transaction ran are inserted
 * together in the next one, with one change-log entry, one NOTIFY and one COMMIT (one WAL flush), so
 * sixteen connections share a flush instead of paying one each. One transaction of this instance runs
 * at a time; across instances the clock row serialises them (`change-log.ts`).
 */
export class GroupCommit {
  readonly #sql: Sql;
  #waiting: Waiting[] = [];
  #running = false;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Resolves after COMMIT with the message's sequence; rejects if the transaction failed. */
  commit(message: ReadyMessage): Promise<Committed> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ message, resolve, reject });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#takeBatch();
        try {
          const { change, first } = await this.#sql.begin((tx) => insertBatch(tx, batch));
          for (const [i, waiting] of batch.entries()) waiting.resolve({ sequence: first + i, change });
        } catch (error) {
          for (const waiting of batch) waiting.reject(error);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  #takeBatch(): Waiting[] {
    let bytes = 0;
    let count = 0;
    while (count < this.#waiting.length && count < MAX_BATCH_MESSAGES) {
      bytes += this.#waiting[count]!.message.raw.length;
      if (count > 0 && bytes > MAX_BATCH_BYTES) break;
      count += 1;
    }
    return this.#waiting.splice(0, count);
  }
}

/**
 * Reserves the batch's sequences (taking the clock row lock, held to COMMIT), then inserts the rows,
 * pipelined on the transaction's connection. Summary and sidecar are `json`, not `jsonb`: they are
 * only ever read whole, `json` keeps them as written, and `jsonb` refuses the `\u0000` a message body
 * may carry.
 */
async function insertBatch(tx: Tx, batch: Waiting[]): Promise<{ change: number; first: number }> {
  const count = batch.length;
  const allocated = await appendChange(
    tx,
    (first) => [{ op: "stored", from: first, to: first + count - 1 }],
    count,
  );
  await Promise.all(
    batch.map(({ message }, i) => {
      const sequence = allocated.first + i;
      const { summary, sidecar, raw } = message;
      return tx`
        INSERT INTO mailnest_messages
          (sequence, id, inboxes, read, received_time, size, sha256, summary, sidecar, raw)
        VALUES (
          ${sequence}, ${summary.id}, ${tx.array(summary.inboxes, 25)}, false, ${summary.receivedTime},
          ${summary.size}, ${summary.sha256}, ${tx.typed({ ...summary, sequence }, JSON_OID)},
          ${tx.typed({ ...sidecar, sequence }, JSON_OID)}, ${raw}
        )`;
    }),
  );
  return allocated;
}
