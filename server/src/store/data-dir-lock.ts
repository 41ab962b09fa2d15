import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DataDirInUseError } from "./errors.js";

export const LOCK_FILE = "mailnest.lock";

interface LockOwner {
  pid: number;
  token: string;
}

/** Locks this process holds, by lock path → token: tells our own live lock from a copied one. */
const heldByThisProcess = new Map<string, string>();

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * Claims a data directory for this store. Two instances writing one write-ahead log and one index
 * would corrupt both, so a second one is refused with `DataDirInUseError`. A lock left by a process
 * that is gone (`kill -9`, a crash) is stale and taken over; so is a copy of our own lock file in a
 * copied data directory (same pid, a token this process does not hold).
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE);
  const token = randomUUID();
  const content = `${JSON.stringify({ pid: process.pid, token, since: new Date().toISOString() })}\n`;
  // Two tries: a stale lock is removed once; if another process claims it in between, it wins.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, content, { flag: "wx" });
      heldByThisProcess.set(path, token);
      return { release: () => release(path, token) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = await readOwner(path);
    if (owner !== null && isAlive(path, owner)) throw new DataDirInUseError(dataDir, owner.pid);
    await rm(path, { force: true });
  }
  throw new DataDirInUseError(dataDir, null);
}

async function release(path: string, token: string): Promise<void> {
  if (heldByThisProcess.get(path) !== token) return;
  heldByThisProcess.delete(path);
  // Only our own lock: never remove one another process has taken over meanwhile.
  if ((await readOwner(path))?.token === token) await rm(path, { force: true });
}

/** null when the file is gone or unreadable (a torn write counts as stale). */
async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<LockOwner>;
    return typeof parsed.pid === "number" && typeof parsed.token === "string"
      ? { pid: parsed.pid, token: parsed.token }
      : null;
  } catch {
    return null;
  }
}

function isAlive(path: string, owner: LockOwner): boolean {
  if (owner.pid === process.pid) return heldByThisProcess.get(path) === owner.token;
  try {
    process.kill(owner.pid, 0); // signal 0: only asks whether the process exists
  } catch (error) {
    // EPERM: it exists but belongs to another user, so it is alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !hasExited(owner.pid);
}

/**
 * A process that exited but that its parent has not yet waited for (a zombie) still answers signal
 * 0, though it holds nothing any more. After a `kill -9` that lasts until the parent reaps it: at
 * once under a shell or a supervisor, but 1.5 s here under a lazy init, and for good under a parent
 * that never waits (a container whose PID 1 is the app's own script). Without this, a restart in
 * that window was refused as "in use by another Mailnest". Linux only (`/proc`); elsewhere a zombie
 * still counts as alive.
 */
function hasExited(pid: number): boolean {
  const state = processState(pid);
  return state === "Z" || state === "X";
}

/** The one-letter state of a process from `/proc/<pid>/stat` ("R", "S", "Z"…), or null when unreadable. */
export function processState(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  // "pid (command) state …": the command may hold spaces and parentheses, so the state is read
  // after the last ")".
  const end = stat.lastIndexOf(")");
  return end < 0 ? null : stat.charAt(end + 2) || null;
}
