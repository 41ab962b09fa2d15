import type { StoreInfo } from "@mailnest/protocol";
import type { MailnestConfig } from "../config.js";

/**
 * Where this instance keeps its messages, as the startup banner and `GET /api/health` show it: the
 * PostgreSQL URL without its password, the data directory, or memory. Never the password: health is
 * readable by anyone who reaches the API when no token is set, and logs are shared.
 */
export function describeStore(
  config: Pick<MailnestConfig, "dataDir" | "databaseUrl">,
): Omit<StoreInfo, "reachable"> {
  if (config.databaseUrl !== null) return { kind: "postgres", location: maskDatabaseUrl(config.databaseUrl) };
  if (config.dataDir !== null) return { kind: "files", location: config.dataDir };
  return { kind: "memory", location: null };
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`; the password is never shown. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    // Passwords can also travel as a query parameter (libpq's `?password=`).
    if (parsed.searchParams.has("password")) parsed.searchParams.set("password", "***");
    return parsed.toString();
  } catch {
    return "(an unparseable database URL)";
  }
}
