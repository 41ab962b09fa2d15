import postgres from "postgres";
import { maskDatabaseUrl } from "../store-location.js";

/** The client the PostgreSQL store talks through: `postgres` (porsager/postgres), numbers as numbers. */
export type Sql = postgres.Sql<{ bigint: number }>;
export type Tx = postgres.TransactionSql<{ bigint: number }>;

export interface ConnectOptions {
  /** Connections in the pool (the LISTEN connection comes on top). @default 10 */
  max?: number;
  /** How long a connection attempt may take before the query fails (seconds). @default 5 */
  connectTimeoutSeconds?: number;
  /**
   * How long PostgreSQL lets one statement run before it cancels it (`statement_timeout`), so a
   * database that is up but stuck (a lock held elsewhere, overload) answers an ingest with a 451
   * instead of holding it until the client gives up. @default 60000
   */
  statementTimeoutMs?: number;
}

/**
 * Opens a pool on `url`. `int8` columns (sequences, change numbers) come back as numbers: they stay
 * far below 2^53. A short connect timeout makes an unreachable database fail an ingest (451) within
 * seconds instead of the client's default 30. The pool reconnects by itself when the database is back.
 */
export function connect(url: string, options: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    // Notices ("relation already exists, skipping") are not worth a line on stderr.
    onnotice: () => {},
    connection: { statement_timeout: options.statementTimeoutMs ?? 60_000 },
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number) => String(value),
        parse: (value: string) => Number(value),
      },
    },
  });
}

/**
 * A client of one connection kept open for good (no idle or lifetime limit), outside any pool: for
 * what lives in a session, `LISTEN` (`change-listener.ts`) and advisory locks (`delivery-turn.ts`).
 * `onclose` says that the session, and what it held, is gone.
 */
export function sessionClient(
  url: string,
  options: ConnectOptions,
  events: { onclose(): void; onnotify?(channel: string, payload: string): void },
): postgres.Sql {
  return postgres(url, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    fetch_types: false,
    onnotice: () => {},
    ...(events.onnotify ? { onnotify: events.onnotify } : {}),
    onclose: events.onclose,
  } as postgres.Options<Record<string, postgres.PostgresType>>);
}

/**
 * The URL without its password, for error messages and logs: the same masking as the banner and
 * `GET /api/health` (`store-location.ts`), which also covers a `?password=` parameter.
 */
export function describeUrl(url: string): string {
  return maskDatabaseUrl(url);
}
