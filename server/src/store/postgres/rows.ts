import type { InboxRegistration } from "../message-index.js";
import type { MessageSummary } from "../model.js";
import type { Sql } from "./connect.js";

/** What a replica reads of a message row: the summary as stored, with the columns that change. */
export interface SummaryRow {
  sequence: number;
  id: string;
  inboxes: string[];
  read: boolean;
  summary: MessageSummary;
}

export interface RegistrationRow {
  address: string;
  created_at: string;
  expires_at: string | null;
}

/** The live summary: the one written at ingest, with the current read flag and inbox list. */
export function summaryFromRow(row: SummaryRow): MessageSummary {
  return { ...row.summary, id: row.id, sequence: row.sequence, inboxes: row.inboxes, read: row.read };
}

export function registrationFromRow(row: RegistrationRow): InboxRegistration {
  return { address: row.address, createdAt: row.created_at, expiresAt: row.expires_at };
}

/** Everything a replica holds, read in one snapshot, so the change number matches the rows. */
export interface Snapshot {
  head: number;
  change: number;
  /** `mailnest_clock.sequence_epoch`: fixed for the life of the database. */
  sequenceEpoch: number;
  summaries: MessageSummary[];
  registrations: InboxRegistration[];
}

/**
 * Reads the whole replica state in one REPEATABLE READ transaction: the clock row, every summary
 * and every registration as of the same instant. Bodies and raw bytes are not read.
 */
export async function readSnapshot(sql: Sql): Promise<Snapshot> {
  return sql.begin("isolation level repeatable read read only", async (tx) => {
    const [clock] = await tx<{ head: number; change: number; sequence_epoch: number }[]>`
      SELECT head, change, sequence_epoch FROM mailnest_clock WHERE id = 1`;
    const messages = await tx<SummaryRow[]>`
      SELECT sequence, id, inboxes, read, summary FROM mailnest_messages ORDER BY sequence`;
    const inboxes = await tx<RegistrationRow[]>`SELECT address, created_at, expires_at FROM mailnest_inboxes`;
    return {
      head: clock?.head ?? 0,
      change: clock?.change ?? 0,
      sequenceEpoch: clock?.sequence_epoch ?? 1,
      summaries: messages.map(summaryFromRow),
      registrations: inboxes.map(registrationFromRow),
    };
  });
}
