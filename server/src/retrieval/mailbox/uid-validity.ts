import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** Where the value is kept, beside the store's own files. */
export function uidValidityFile(dataDir: string): string {
  return path.join(dataDir, "retrieval", "uidvalidity");
}

/**
 * IMAP's UIDVALIDITY (RFC 3501 section 2.3.1.1) for every mailbox of one store. UIDs are the store's
 * message `sequence`, which is never reused while the data directory lives, so one value per data
 * directory suffices: it is created with the directory's first retrieval server and kept in
 * `<dataDir>/retrieval/uidvalidity`. A new data directory (sequences start again at 1) gets a new
 * value, so clients drop what they cached. In memory mode it is taken from the clock at each start.
 */
export async function loadUidValidity(dataDir: string | null, now = Date.now()): Promise<number> {
  const fresh = freshValue(now);
  if (dataDir === null) return fresh;
  const file = uidValidityFile(dataDir);
  const saved = await readSaved(file);
  if (saved !== null) return saved;
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${fresh}\n`);
  await rename(temp, file);
  return fresh;
}

/** Seconds since the epoch: a later start gets a larger value (RFC 3501 asks for strictly ascending). */
function freshValue(now: number): number {
  return Math.max(1, Math.floor(now / 1000) % 2 ** 32);
}

async function readSaved(file: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const value = Number(text.trim());
  // An unreadable value is replaced: a new UIDVALIDITY only makes clients download again.
  return Number.isInteger(value) && value >= 1 && value < 2 ** 32 ? value : null;
}
