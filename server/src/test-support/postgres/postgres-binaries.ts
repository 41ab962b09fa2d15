import { spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import path from "node:path";

/** Where Debian's `postgresql` package puts each major version's server binaries. */
const DEBIAN_ROOT = "/usr/lib/postgresql";

/**
 * The folder holding `initdb` and `postgres`: `MAILNEST_PG_BIN` when set; else the newest
 * `/usr/lib/postgresql/<major>/bin` (Debian's packages, which e2e/scripts/ensure-postgres.mjs
 * installs as root and which are not on PATH); else `pg_config --bindir`; else wherever `initdb` is
 * on PATH. Null when none has an executable `initdb`. The same order as ensure-postgres.mjs.
 */
export function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.MAILNEST_PG_BIN) return hasInitdb(env.MAILNEST_PG_BIN) ? env.MAILNEST_PG_BIN : null;
  const candidates: string[] = [];
  try {
    const majors = readdirSync(DEBIAN_ROOT)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) candidates.push(path.join(DEBIAN_ROOT, major, "bin"));
  } catch {
    // No Debian layout here.
  }
  const pgConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  const which = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  if (which.status === 0) candidates.push(path.dirname(which.stdout.trim()));
  return candidates.find(hasInitdb) ?? null;
}

function hasInitdb(folder: string): boolean {
  try {
    accessSync(path.join(folder, "initdb"), constants.X_OK);
    accessSync(path.join(folder, "postgres"), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
