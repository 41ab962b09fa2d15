import postgres from "postgres";
import { StorageFailedError } from "../errors.js";

/**
 * SQLSTATE classes that mean "the server cannot serve this now" rather than "this statement is
 * wrong": 08 connection exception, 53 insufficient resources (too many connections, disk full),
 * 57 operator intervention (admin shutdown 57P01, cannot connect now 57P03, statement timeout 57014).
 */
const UNAVAILABLE_SQLSTATE_CLASSES = new Set(["08", "53", "57"]);
/** The client's own connection failures (`postgres` package, `Errors.connection`). */
const CLIENT_CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/**
 * Whether a failure of a PostgreSQL call means the database is away (down, restarting, refusing,
 * overloaded): then the same call may succeed later, and the API says `503 storage_unavailable`.
 * A statement the server rejected for what it is (a bug) is not.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof postgres.PostgresError) {
    return UNAVAILABLE_SQLSTATE_CLASSES.has(error.code.slice(0, 2));
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  // Node's socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EHOSTUNREACH, ENOTFOUND, EAI_AGAIN…
  return CLIENT_CONNECTION_CODES.has(code) || /^E[A-Z_]+$/.test(code);
}

/** `StorageFailedError` for `operation` (e.g. "reading the raw bytes of message 01j… from PostgreSQL"). */
export function databaseError(operation: string, error: unknown): StorageFailedError {
  return new StorageFailedError(operation, error, { unavailable: isDatabaseUnavailable(error) });
}

/** Runs `run`; a failure becomes `databaseError` for `operation` "… in PostgreSQL". */
export async function guardDatabase<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw databaseError(`${operation} in PostgreSQL`, error);
  }
}
