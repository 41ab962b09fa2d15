import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { type Adapter, Memory } from "lowdb";
import { JSONFile } from "lowdb/node";
import type { FaultLogEntry, FaultRule } from "./fault-rule.js";

/** `<dataDir>/faults.json`: small and read by people, so pretty-printed. */
export interface FaultDocument {
  version: 1;
  rules: FaultRule[];
  log: FaultLogEntry[];
  /** The last log sequence handed out, so sequences stay unique after the log is cleared. */
  logSequence: number;
}

export const FAULTS_FILE = "faults.json";

export function emptyFaultDocument(): FaultDocument {
  return { version: 1, rules: [], log: [], logSequence: 0 };
}

/** The lowdb adapter for a data dir (written through steno: temp file + rename), or memory. */
export async function faultDocumentAdapter(dataDir: string | null): Promise<Adapter<FaultDocument>> {
  if (dataDir === null) return new Memory<FaultDocument>();
  await mkdir(dataDir, { recursive: true });
  return new JSONFile<FaultDocument>(path.join(dataDir, FAULTS_FILE));
}

/**
 * Reads the saved document. A file that is not a fault document (hand-edited, truncated by a full
 * disk) is moved aside as `faults.json.broken` with a warning: losing test faults must not keep the
 * sandbox from starting.
 */
export async function readFaultDocument(
  adapter: Adapter<FaultDocument>,
  dataDir: string | null,
): Promise<FaultDocument> {
  let saved: unknown;
  try {
    saved = await adapter.read();
  } catch (error) {
    if (!(error instanceof SyntaxError) || dataDir === null) throw error;
    saved = undefined;
  }
  if (saved === null) return emptyFaultDocument();
  if (isFaultDocument(saved)) return saved;
  if (dataDir !== null) {
    const file = path.join(dataDir, FAULTS_FILE);
    await rename(file, `${file}.broken`);
    console.warn(
      `mailnest: ${file} is not a fault document; moved it to ${file}.broken and started without faults`,
    );
  }
  return emptyFaultDocument();
}

function isFaultDocument(value: unknown): value is FaultDocument {
  if (typeof value !== "object" || value === null) return false;
  const document = value as Partial<FaultDocument>;
  return (
    document.version === 1 &&
    Array.isArray(document.rules) &&
    Array.isArray(document.log) &&
    typeof document.logSequence === "number"
  );
}
