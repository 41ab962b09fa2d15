import postgres from "postgres";
import type { MessageSummary } from "../model.js";
import type { Sidecar } from "../sidecar.js";
import type { Sql } from "./connect.js";
import { CHANGES_CHANNEL } from "./schema.js";
import { searchColumn } from "./search-column.js";

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
 * at a time; across instances the clock row serialises them (as `appendChange` does for the other
 * writes: its comment says why that makes commit order sequence order).
 */
export class GroupCommit {
  readonly #sql: Sql;
  /** This instance's id, written with each change (`appendChange` says why). */
  readonly #writer: string;
  #waiting: Waiting[] = [];
  #running = false;

  constructor(sql: Sql, writer: string) {
    this.#sql = sql;
    this.#writer = writer;
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
          const committed = await insertBatch(this.#sql, this.#writer, batch);
          for (const [i, waiting] of batch.entries()) waiting.resolve(committed[i]!);
        } catch (error) {
          if (batch.length > 1 && error instanceof postgres.PostgresError) {
            // The server refused the batch (not the connection): one message may be at fault, and
            // must not take the others down with it. Each is tried on its own.
            for (const waiting of batch) {
              await insertBatch(this.#sql, this.#writer, [waiting]).then(
                ([committed]) => waiting.resolve(committed!),
                (alone: unknown) => waiting.reject(alone),
              );
            }
          } else {
            for (const waiting of batch) waiting.reject(error);
          }
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
 * The whole batch in ONE statement, so it costs one round trip and runs as its own implicit
 * transaction (no BEGIN/COMMIT round trips): take the clock row (locked until the statement
 * commits) and reserve the sequences, insert the rows, append the change (with the summaries, so
 * every replica can announce the messages without reading the rows) and notify. The rows travel
 * as one `json` array of metadata plus one `bytea` of every raw message end to end, cut apart by
 * offset in SQL. Summary and sidecar stay `json`, not `jsonb`: they are only ever read whole, `json`
 * keeps them as written, and `jsonb` refuses the `\u0000` a message body may carry. Neither holds
 * the sequence: the column does, and readers put it back (`rows.ts`).
 */
async function insertBatch(sql: Sql, writer: string, batch: Waiting[]): Promise<Committed[]> {
  const count = batch.length;
  let offset = 0;
  const meta = batch.map(({ message }, ord) => {
    const { summary, sidecar, raw } = message;
    const row = {
      ord,
      id: summary.id,
      inboxes: summary.inboxes,
      received_time: summary.receivedTime,
      size: raw.length,
      sha256: summary.sha256,
      search_text: searchColumn(sidecar.view.visibleText),
      // As text inside the metadata: json_to_recordset would decode a `\u0000` in a json column and
      // fail; a text column decodes only the outer quoting, and the text is then cast to json.
      summary: JSON.stringify(summary),
      sidecar: JSON.stringify(sidecar),
      offset,
    };
    offset += raw.length;
    return row;
  });
  const raw = Buffer.concat(
    batch.map(({ message }) => message.raw),
    offset,
  );
  const [result] = await sql<{ head: number; change: number }[]>`
    WITH clock AS (
      UPDATE mailnest_clock SET head = head + ${count}, change = change + 1
      WHERE id = 1 RETURNING head, change
    ),
    batch AS (
      SELECT * FROM json_to_recordset(${sql.typed(meta, JSON_OID)}) AS m(
        ord integer, id text, inboxes json, received_time double precision, size bigint,
        sha256 text, search_text text, summary text, sidecar text, "offset" bigint
      )
    ),
    inserted AS (
      INSERT INTO mailnest_messages
        (sequence, id, inboxes, read, received_time, size, sha256, search_text, summary, sidecar, raw)
      SELECT clock.head - ${count} + 1 + batch.ord, batch.id,
        ARRAY(SELECT json_array_elements_text(batch.inboxes)), false, batch.received_time,
        batch.size, batch.sha256, batch.search_text, batch.summary::json, batch.sidecar::json,
        substring(${raw}::bytea FROM (batch."offset" + 1)::integer FOR batch.size::integer)
      FROM clock, batch
    ),
    logged AS (
      INSERT INTO mailnest_changes (change, ops, summaries, writer)
      SELECT change,
        jsonb_build_array(jsonb_build_object('op', 'stored', 'from', head - ${count} + 1, 'to', head)),
        (SELECT json_agg(batch.summary::json ORDER BY batch.ord) FROM batch),
        ${writer}
      FROM clock
    )
    SELECT head, change, pg_notify(${CHANGES_CHANNEL}, change::text) FROM clock`;
  if (!result) throw new Error("mailnest_clock has no row: the schema is damaged");
  const first = result.head - count + 1;
  return batch.map((_, i) => ({ sequence: first + i, change: result.change }));
}
