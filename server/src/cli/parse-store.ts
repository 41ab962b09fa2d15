import path from "node:path";
import { maskDatabaseUrl } from "../store/store-location.js";
import { ConfigError } from "./config-error.js";

/** Where messages live, as `--store` (or MAILNEST_STORE, MAILNEST_DATABASE_URL) says. */
export type StoreChoice =
  | { kind: "memory"; source: string }
  | { kind: "files"; dir: string; source: string }
  | { kind: "postgres"; url: string; source: string };

/** `memory`, `postgres://…` / `postgresql://…`, or a folder (relative to `cwd`). */
export function parseStoreValue(raw: string, source: string, cwd: string): StoreChoice {
  const value = raw.trim();
  if (value === "")
    throw new ConfigError(`${source}: expected a folder, memory or a postgres:// URL, got ""`);
  if (value.toLowerCase() === "memory") return { kind: "memory", source };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: "files", dir: path.resolve(cwd, value), source };
  if (scheme !== "postgres" && scheme !== "postgresql") {
    throw new ConfigError(
      `${source}: expected a folder, memory or a postgres:// URL, got a ${scheme}:// URL (${maskDatabaseUrl(value)})`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${source}: not a valid URL: ${maskDatabaseUrl(value)}`);
  }
  if (url.hostname === "" && !url.searchParams.has("host")) {
    throw new ConfigError(`${source}: the PostgreSQL URL names no host: ${maskDatabaseUrl(value)}`);
  }
  return { kind: "postgres", url: value, source };
}

/**
 * Reconciles `--store` with the older `--data-dir` and `--in-memory`. A folder or memory given both
 * ways is refused (which one would win is a guess); with PostgreSQL, `--data-dir` keeps this
 * instance's own state (the report relay queue), and without it that state is in memory,
 * so instances on one machine never share a folder by accident.
 */
export function resolveStore(
  choice: StoreChoice | undefined,
  legacy: { dataDir: string | undefined; inMemory: boolean; defaultDataDir: string },
): { dataDir: string | null; databaseUrl: string | null } {
  if (choice === undefined) {
    if (legacy.inMemory) return { dataDir: null, databaseUrl: null };
    return { dataDir: legacy.dataDir ?? legacy.defaultDataDir, databaseUrl: null };
  }
  if (choice.kind === "postgres") {
    if (legacy.inMemory) {
      throw new ConfigError(
        `--in-memory and ${choice.source} (PostgreSQL) exclude each other: messages live in one place`,
      );
    }
    return { dataDir: legacy.dataDir ?? null, databaseUrl: choice.url };
  }
  if (legacy.inMemory || legacy.dataDir !== undefined) {
    const other = legacy.inMemory ? "--in-memory" : "--data-dir";
    throw new ConfigError(`${choice.source} and ${other} both say where messages live: give one of them`);
  }
  return choice.kind === "memory"
    ? { dataDir: null, databaseUrl: null }
    : { dataDir: choice.dir, databaseUrl: null };
}
