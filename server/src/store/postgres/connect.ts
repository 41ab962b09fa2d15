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
 * Seconds before the next attempt to connect after `retries` failed ones: 50 ms doubling to at most
 * half a second, with jitter so that instances do not knock together. postgres.js's default grows
 * ×3 per failure to 20 s and is shared by the whole pool (it resets only once a connection
 * succeeds), and a query waits out that pause before it can fail: an outage of a few seconds held
 * SMTP clients for up to 18 s before their 451, and kept the pool away for up to 9 s after the
 * database was back. At this pace a pool tries at most a few times a second per connection while the
 * database is away, which costs it nothing, and each waiting query fails within about half a second.
 */
export function reconnectDelaySeconds(retries: number, random: () => number = Math.random): number {
  return Math.min(MAX_RECONNECT_DELAY_SECONDS, 0.05 * 2 ** Math.max(0, retries - 1)) * (0.5 + random() / 2);
}

export const MAX_RECONNECT_DELAY_SECONDS = 0.5;

/**
 * Opens a pool on `url`. `int8` columns (sequences, change numbers) come back as numbers: they stay
 * far below 2^53. A short connect timeout makes an unreachable database fail an ingest (451) within
 * seconds instead of the client's default 30. The pool reconnects by itself when the database is back.
 */
export function connect(url: string, options: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    backoff: (retries: number) => reconnectDelaySeconds(retries),
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
    backoff: (retries: number) => reconnectDelaySeconds(retries),
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
