import { open, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { syncDirectory } from "./directory-syncer.js";

/**
 * `<dataDir>/clean-shutdown`: left by a close that made everything durable, taken by the next start.
 * While it is there, the index as last flushed matches the files exactly, so startup can trust it
 * instead of listing `messages/` (100,000 names at 50,000 messages). Deleting it forces the full
 * reconciliation, as any crash does.
 */
const MARKER = "clean-shutdown";

/**
 * Startup, before anything is written: whether the marker was there. It is deleted durably at once,
 * so that after a crash of this run the next start cannot mistake an index it left behind for one
 * that a clean close vouched for.
 */
export async function takeCleanShutdownMarker(dataDir: string): Promise<boolean> {
  try {
    await rm(join(dataDir, MARKER));
  } catch (error) {
    if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") return false;
    throw error;
  }
  await syncDirectory(dataDir);
  return true;
}

/** The last step of a clean close, once the files and the index are durable. */
export async function leaveCleanShutdownMarker(dataDir: string): Promise<void> {
  const path = join(dataDir, MARKER);
  await writeFile(path, "");
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDirectory(dataDir);
}
