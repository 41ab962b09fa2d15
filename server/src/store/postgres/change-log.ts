import type { Tx } from "./connect.js";
import { CHANGES_CHANNEL } from "./schema.js";

/**
 * What one committed transaction changed, as every instance replays it onto its in-memory replica
 * (`replica.ts`). Ops carry ids, not rows: a replica reads the current rows when it applies them.
 */
export type ChangeOp =
  /** Messages with `from <= sequence <= to` were stored. */
  | { op: "stored"; from: number; to: number }
  | { op: "deleted"; ids: string[] }
  /** Read flags or inbox lists of these messages changed. */
  | { op: "updated"; ids: string[] }
  /** An inbox was created (or its TTL changed) through the API. */
  | { op: "registered"; address: string }
  /** An inbox was cleared; announced even when it held nothing but is listed. */
  | { op: "cleared"; address: string }
  /** A created inbox was deleted. */
  | { op: "unregistered"; address: string };

/**
 * Appends one change to the log, at the end of a transaction: the `mailnest_clock` row lock taken
 * here is held until COMMIT, so change numbers are handed out in commit order and a reader that
 * sees change N committed has seen every change below it (no gap is ever filled later). Ingest does
 * the same in its one-statement batch (`group-commit.ts`), reserving message sequences on the same
 * row, so sequences too are visible in order.
 *
 * `writer` is the id of the instance committing (`Replica.instance`, made at open): each replica
 * compares it with its own to announce the change as made "here" or "elsewhere" (`EventOrigin`).
 *
 * The notification carries only the change number: listeners fetch what is past their cursor, so a
 * transaction costs one NOTIFY, and PostgreSQL delivers it only if the transaction commits.
 */
export async function appendChange(tx: Tx, ops: ChangeOp[], writer: string): Promise<number> {
  const [clock] = await tx<{ change: number }[]>`
    UPDATE mailnest_clock SET change = change + 1 WHERE id = 1 RETURNING change`;
  if (!clock) throw new Error("mailnest_clock has no row: the schema is damaged");
  await tx`
    INSERT INTO mailnest_changes (change, ops, writer) VALUES (${clock.change}, ${tx.json(ops)}, ${writer})`;
  await tx`SELECT pg_notify(${CHANGES_CHANNEL}, ${String(clock.change)})`;
  return clock.change;
}
