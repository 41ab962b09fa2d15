import type { DnsRecord } from "@mailnest/protocol";
import { DnsZone } from "../../deliverability/dns-zone.js";
import type { ZoneEditor } from "../../deliverability/zone-editor.js";
import { ChangeListener } from "./change-listener.js";
import { type ConnectOptions, connect, type Sql, type Tx } from "./connect.js";
import { rereader } from "./rereader.js";
import { DNS_CHANNEL, migrate } from "./schema.js";
import { databaseError } from "./unavailable.js";

/** A record as stored, with its place in the order of additions. */
interface RecordRow extends DnsRecord {
  position: number;
}

/** Rows per INSERT: 4 parameters each, far below PostgreSQL's 65,535 per statement. */
const INSERT_BATCH = 2_000;

/**
 * The DNS zone of a sandbox on PostgreSQL (docs/scaling.md, "DNS"): the records every instance
 * verifies against, in `mailnest_dns_records` (migration 10), with each instance's `DnsZone` a copy
 * that lookups read without waiting.
 *
 * An edit reads the zone under the lock of its version row, makes the change on a scratch `DnsZone`
 * (so a record is checked exactly as the embedded zone checks it, against every instance's
 * records), writes the difference, bumps the version and notifies `DNS_CHANNEL`, all in one
 * transaction; then this instance's copy becomes the scratch. The others read the zone again on the
 * notification, and whenever their LISTEN connection is back after an outage. A copy only ever
 * moves to a newer version, so reads that cross never put an older zone back.
 */
export class PostgresDnsZone implements ZoneEditor {
  readonly #sql: Sql;
  readonly #zone: DnsZone;
  #listener: ChangeListener | null = null;
  /** The version the copy holds; -1 until the first read. */
  #version = -1;
  /** Why the last read failed, if it did. */
  #failure: unknown = null;

  private constructor(sql: Sql, zone: DnsZone) {
    this.#sql = sql;
    this.#zone = zone;
  }

  /**
   * Connects (a small pool of its own), migrates if needed, listens, and makes `zone` a copy of the
   * shared zone: what it held before is replaced (the deliverability lab then adds its zone file's
   * records through `edit`, so that a conflict names the file's line).
   */
  static async open(
    url: string,
    zone: DnsZone,
    options: { connection?: ConnectOptions } = {},
  ): Promise<PostgresDnsZone> {
    // One connection: edits are rare, and a read is one statement.
    const sql = connect(url, { max: 1, ...options.connection });
    const shared = new PostgresDnsZone(sql, zone);
    try {
      await migrate(sql);
      const listener = new ChangeListener(
        url,
        options.connection ?? {},
        { notified: () => void shared.refresh(), listening: () => void shared.refresh() },
        DNS_CHANNEL,
      );
      shared.#listener = listener;
      await listener.start();
      await shared.refresh();
      if (shared.#version < 0) throw databaseError("reading the DNS zone from PostgreSQL", shared.#failure);
    } catch (error) {
      await shared.close();
      throw error;
    }
    return shared;
  }

  async edit<T>(change: (zone: DnsZone) => T): Promise<T> {
    // The change's own refusal (an invalid record, a full zone) comes back as it was thrown; only a
    // failure of the database becomes `StorageFailedError` (503 while it is away).
    let refusal: { error: unknown } | null = null;
    try {
      const outcome = await this.#sql.begin(async (tx) => {
        const [row] = await tx<{ version: number }[]>`
          SELECT version FROM mailnest_dns_zone WHERE id = 1 FOR UPDATE`;
        const before = await tx<RecordRow[]>`
          SELECT position, name, type, value, ttl FROM mailnest_dns_records ORDER BY position`;
        const scratch = new DnsZone();
        scratch.replace(before.map(recordOf));
        let result: T;
        try {
          result = change(scratch);
        } catch (error) {
          refusal = { error };
          throw error;
        }
        const after = scratch.list();
        // A change that changed nothing (a record added again with its TTL) wakes no instance.
        if (!(await writeDifference(tx, before, after)))
          return { result, version: row?.version ?? 0, records: after };
        const version = (row?.version ?? 0) + 1;
        await tx`UPDATE mailnest_dns_zone SET version = ${version} WHERE id = 1`;
        await tx`SELECT pg_notify(${DNS_CHANNEL}, ${String(version)})`;
        return { result, version, records: after };
      });
      this.#apply(outcome.version, outcome.records);
      return outcome.result;
    } catch (error) {
      if (refusal !== null) throw (refusal as { error: unknown }).error;
      throw databaseError("changing the DNS zone in PostgreSQL", error);
    }
  }

  /**
   * Reads the zone again (one statement, so the version and the records are of one snapshot). A
   * failed read keeps the copy it had: LISTEN's return reads it again.
   */
  readonly refresh: () => Promise<void> = rereader(async () => {
    try {
      const [row] = await this.#sql<{ version: number; records: DnsRecord[] }[]>`
        SELECT (SELECT version FROM mailnest_dns_zone WHERE id = 1) AS version,
               coalesce(json_agg(json_build_object('name', name, 'type', type, 'value', value, 'ttl', ttl)
                                 ORDER BY position), '[]') AS records
        FROM mailnest_dns_records`;
      if (row) this.#apply(row.version, row.records);
      this.#failure = null;
    } catch (error) {
      // The database is away: the copy stays as it was.
      this.#failure = error;
    }
  });

  async close(): Promise<void> {
    await this.#listener?.close();
    await this.#sql.end({ timeout: 1 }).catch(() => {});
  }

  /** Makes the copy the zone of `version`, unless it already holds that one or a newer one. */
  #apply(version: number, records: readonly DnsRecord[]): void {
    if (version <= this.#version) return;
    this.#version = version;
    this.#zone.replace(records);
  }
}

function recordOf(row: RecordRow): DnsRecord {
  return { name: row.name, type: row.type, value: row.value, ttl: row.ttl };
}

function keyOf(record: DnsRecord): string {
  return `${record.name}\u0000${record.type}\u0000${record.value}`;
}

/**
 * Deletes what went, updates the TTLs that changed and inserts what is new, in the zone's order;
 * false when there was nothing to write.
 */
async function writeDifference(
  tx: Tx,
  before: readonly RecordRow[],
  after: readonly DnsRecord[],
): Promise<boolean> {
  let changed = false;
  const stored = new Map(before.map((row) => [keyOf(row), row]));
  const added: DnsRecord[] = [];
  for (const record of after) {
    const row = stored.get(keyOf(record));
    if (row === undefined) {
      added.push(record);
      continue;
    }
    stored.delete(keyOf(record));
    if (row.ttl !== record.ttl) {
      await tx`UPDATE mailnest_dns_records SET ttl = ${record.ttl} WHERE position = ${row.position}`;
      changed = true;
    }
  }
  const gone = [...stored.values()].map((row) => row.position);
  if (gone.length > 0) await tx`DELETE FROM mailnest_dns_records WHERE position = ANY(${gone})`;
  for (let start = 0; start < added.length; start += INSERT_BATCH) {
    const batch = added.slice(start, start + INSERT_BATCH);
    await tx`INSERT INTO mailnest_dns_records ${tx(batch, "name", "type", "value", "ttl")}`;
  }
  return changed || gone.length > 0 || added.length > 0;
}
