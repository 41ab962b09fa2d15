import type { Sql, Tx } from "./connect.js";

/**
 * Advisory-lock keys of the store (one 64-bit namespace per database, shared with other apps: the
 * high bits spell "mailnest" so they cannot collide by accident).
 */
export const ADVISORY_LOCK = {
  migrations: 0x6d61696c6e6e0001n,
  housekeeping: 0x6d61696c6e6e0002n,
  /** Appends to `mailnest_journal` (and its compaction): held until commit, so order of sequence is order of commit. */
  journalAppend: 0x6d61696c6e6e0003n,
  /** `RecordJournal.exclusive`: a session lock, beside the append lock so that the work can append. */
  journalExclusive: 0x6d61696c6e6e0004n,
  /** Making the shared self-signed certificate: one instance at a time (`shared-certificate.ts`). */
  certificate: 0x6d61696c6e6e0005n,
  /** Each shared outbox's delivery turn (`delivery-turn.ts`). */
  deliveryTurn: { webhooks: 0x6d61696c6e6e0101n, releases: 0x6d61696c6e6e0102n },
} as const;

/** The channel a commit notifies with its change number (docs/storage.md, "PostgreSQL"). */
export const CHANGES_CHANNEL = "mailnest_changes";

/** The channel a change of the fault rules is notified on: every instance then reads them again. */
export const FAULTS_CHANNEL = "mailnest_faults";

/** The channel a change of the shared DNS zone is notified on, with the zone's new version. */
export const DNS_CHANNEL = "mailnest_dns";

/** The channel a change of IMAP's volatile flags is notified on, with the message's id. */
export const FLAGS_CHANNEL = "mailnest_flags";

/** The channel an append to a shared journal notifies, with the journal's name. */
export const JOURNAL_CHANNEL = "mailnest_journal";

interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/**
 * Versioned migrations, applied in order and never edited once released: a new schema is a new
 * entry. Each runs in the same transaction as its row in `mailnest_schema_migrations`.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "messages, inboxes, change log",
    statements: [
      // One row: the message sequence (`head`) and the change-log number. Every writing transaction
      // takes this row's lock just before it commits, so commit order is allocation order.
      `CREATE TABLE mailnest_clock (
         id integer PRIMARY KEY CHECK (id = 1),
         head bigint NOT NULL,
         change bigint NOT NULL
       )`,
      "INSERT INTO mailnest_clock (id, head, change) VALUES (1, 0, 0)",
      `CREATE TABLE mailnest_messages (
         sequence bigint PRIMARY KEY,
         id text NOT NULL UNIQUE,
         inboxes text[] NOT NULL,
         read boolean NOT NULL DEFAULT false,
         received_time double precision NOT NULL,
         size bigint NOT NULL,
         sha256 text NOT NULL,
         summary json NOT NULL,
         sidecar json NOT NULL,
         raw bytea NOT NULL
       )`,
      "CREATE INDEX mailnest_messages_inboxes ON mailnest_messages USING gin (inboxes)",
      "CREATE INDEX mailnest_messages_received_time ON mailnest_messages (received_time)",
      `CREATE TABLE mailnest_inboxes (
         address text PRIMARY KEY,
         created_at text NOT NULL,
         expires_at text
       )`,
      `CREATE TABLE mailnest_changes (
         change bigint PRIMARY KEY,
         ops jsonb NOT NULL,
         committed_at timestamptz NOT NULL DEFAULT now()
       )`,
    ],
  },
  {
    version: 2,
    name: "search text column",
    statements: [
      // `search-column.ts`. NULL for rows stored before it, which the full check still reads.
      "ALTER TABLE mailnest_messages ADD COLUMN search_text text",
    ],
  },
  {
    version: 3,
    name: "summaries in the change log",
    statements: [
      // The summaries of a `stored` change, in sequence order: a replica announces a message even
      // when it was deleted before the replica read it. NULL for other changes (and older ones).
      "ALTER TABLE mailnest_changes ADD COLUMN summaries json",
    ],
  },
  {
    version: 4,
    name: "writer of each change",
    statements: [
      // The instance id (a UUID made at open) of the instance that committed the change: a replica
      // announces its own changes as made "here" and the others' as "elsewhere", so webhooks and the
      // auto-relay act once per change, not once per instance. NULL for older changes ("elsewhere").
      "ALTER TABLE mailnest_changes ADD COLUMN writer text",
    ],
  },
  {
    version: 5,
    name: "fault rules and fault log",
    statements: [
      // `fault-table.ts`. `rule` is the rule as the API shows it; `remaining` and `triggered` live
      // in their own columns so that taking one use is a single conditional UPDATE under the row's
      // lock: with any number of instances, a rule for N messages strikes N times, never more.
      // `position` keeps the order rules were added in, which is the order they are tried.
      `CREATE TABLE mailnest_fault_rules (
         position bigserial PRIMARY KEY,
         id text NOT NULL UNIQUE,
         rule jsonb NOT NULL,
         remaining integer,
         triggered integer NOT NULL DEFAULT 0
       )`,
      `CREATE TABLE mailnest_fault_log (
         sequence bigserial PRIMARY KEY,
         entry jsonb NOT NULL
       )`,
    ],
  },
  {
    version: 6,
    name: "the epoch of the sequence numbers",
    statements: [
      // Seconds since 1970 when this database's sequence numbers began (or when this migration ran,
      // for an older database): IMAP's UIDVALIDITY on every instance (`MessageStore.sequenceEpoch`).
      `ALTER TABLE mailnest_clock ADD COLUMN sequence_epoch bigint NOT NULL
         DEFAULT greatest(1, floor(extract(epoch from now()))::bigint % 4294967296)`,
    ],
  },
  {
    version: 7,
    name: "shared outbox journals",
    statements: [
      // `postgres-journal.ts`: shared journals (webhooks, releases, report rules), one order for
      // every instance. `seq` is given under the append lock (max + 1), so a reader that has seen
      // seq N has seen every record before it. A `snapshot` row holds the whole state as of
      // `through` (the last record it covers); writing one deletes the rows before the previous
      // one. `json`, not `jsonb`: an event carries a
      // message's header fields, and `jsonb` refuses the `\u0000` they may hold.
      `CREATE TABLE mailnest_journal (
         seq bigint PRIMARY KEY,
         journal text NOT NULL,
         kind text NOT NULL CHECK (kind IN ('record', 'snapshot')),
         body json NOT NULL,
         through bigint
       )`,
      "CREATE INDEX mailnest_journal_by_name ON mailnest_journal (journal, seq)",
    ],
  },
  {
    version: 8,
    name: "the shared self-signed certificate",
    statements: [
      // `shared-certificate.ts`: with --tls and no --tls-cert every instance presents this pair, made
      // by the first that needed it. Keyed by the names it covers (the domain, loopback, the bind
      // address), so instances given another --domain or --host get their own.
      `CREATE TABLE mailnest_certificates (
         names text PRIMARY KEY,
         cert text NOT NULL,
         key text NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now()
       )`,
    ],
  },
  {
    version: 9,
    name: "greylisting and rate-limit memory",
    statements: [
      // `fault-memory.ts`: per rule and key (a greylisted triple, a rate limit's sender or client),
      // the first sighting and whether it passed (greylisting), or the times counted in the window
      // (rate limits), shared by every instance. `touched` lets old rows be pruned.
      `CREATE TABLE mailnest_fault_memory (
         rule text NOT NULL,
         key text NOT NULL,
         first_seen double precision NOT NULL,
         passed boolean NOT NULL DEFAULT false,
         times double precision[] NOT NULL DEFAULT '{}',
         touched timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (rule, key)
       )`,
      "CREATE INDEX mailnest_fault_memory_touched ON mailnest_fault_memory (touched)",
    ],
  },
  {
    version: 10,
    name: "shared DNS zone",
    statements: [
      // `postgres-dns-zone.ts`: the zone verification reads, shared by every instance. One row
      // holds its version: an edit takes that row's lock, so edits happen one at a time, each
      // checked against the zone as the one before left it; each instance keeps the newest version
      // it has read. `position` keeps the order records were added in (answers list them so).
      `CREATE TABLE mailnest_dns_zone (
         id integer PRIMARY KEY CHECK (id = 1),
         version bigint NOT NULL
       )`,
      "INSERT INTO mailnest_dns_zone (id, version) VALUES (1, 0)",
      `CREATE TABLE mailnest_dns_records (
         position bigserial PRIMARY KEY,
         name text NOT NULL,
         type text NOT NULL,
         value text NOT NULL,
         ttl integer NOT NULL
       )`,
    ],
  },
  {
    version: 11,
    name: "IMAP flags",
    statements: [
      // `postgres-message-flags.ts`: IMAP's \Flagged, \Answered, \Draft and \Deleted of each
      // message (\Seen is `mailnest_messages.read`), shared by every instance. A row goes with its
      // message; a message without any of them has no row.
      `CREATE TABLE mailnest_message_flags (
         id text PRIMARY KEY REFERENCES mailnest_messages (id) ON DELETE CASCADE,
         flags text[] NOT NULL
       )`,
    ],
  },
];

/**
 * Brings the schema up to date, once: every instance calls this at open, and the advisory lock makes
 * the others wait until the first has committed, after which they find nothing left to do. DDL is
 * transactional in PostgreSQL, so a migration that fails leaves no half-made table behind.
 * Returns the versions this call applied.
 */
export async function migrate(sql: Sql): Promise<number[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.migrations.toString()}::bigint)`;
    await tx`
      CREATE TABLE IF NOT EXISTS mailnest_schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`;
    const rows = await tx<{ version: number }[]>`SELECT version FROM mailnest_schema_migrations`;
    const applied = new Set(rows.map((row) => row.version));
    const newest = Math.max(0, ...applied);
    const latest = Math.max(...MIGRATIONS.map((migration) => migration.version));
    if (newest > latest) {
      throw new Error(
        `the database schema is at version ${newest}, newer than this Mailnest knows (${latest}); upgrade Mailnest`,
      );
    }
    const done: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await applyMigration(tx, migration);
      done.push(migration.version);
    }
    return done;
  });
}

async function applyMigration(tx: Tx, migration: Migration): Promise<void> {
  for (const statement of migration.statements) await tx.unsafe(statement);
  await tx`
    INSERT INTO mailnest_schema_migrations (version, name)
    VALUES (${migration.version}, ${migration.name})`;
}
