import type { ParsedView } from "../store/model.js";

/**
 * What the main thread and a parsing thread say to each other (parser-pool.ts, parser-worker.ts): in
 * a module of their own, so that neither side imports the other.
 */

/** Main thread → parsing thread: one message, as its bytes (a transferred copy) or its temp file's path. */
export interface ParseRequest {
  id: number;
  source: { kind: "bytes"; bytes: Uint8Array } | { kind: "file"; path: string };
}

/**
 * Parsing thread → main thread: `ready` once the parser is loaded (until then the main thread parses
 * itself, so no message waits for a thread to start), then the view of each request (plain data,
 * structured-cloneable).
 */
export type ParseReply = { kind: "ready" } | { kind: "parsed"; id: number; view: ParsedView };
