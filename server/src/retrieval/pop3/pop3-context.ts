import type { Connection } from "../listener/connection.js";
import type { RetrievalModel, RetrievalTransport } from "../retrieval-deps.js";
import type { Maildrop } from "./maildrop.js";

export interface Pop3Limits {
  /** RFC 2449 allows 255 octets for commands; AUTH responses (RFC 5034) may be longer. */
  maxLineBytes: number;
  /** RFC 1939 section 3: at least 10 minutes. */
  idleMs: number;
}

export interface Pop3Deps {
  model: RetrievalModel;
  transport: RetrievalTransport;
  limits: Pop3Limits;
  hostname: string;
}

export type Pop3State = "authorization" | "transaction" | "closed";

/**
 * What a POP3 command handler sees of its session (`Pop3Session` implements it), so the state
 * machine and the handlers do not import each other.
 */
export interface Pop3Context {
  readonly deps: Pop3Deps;
  readonly connection: Connection;
  readonly state: Pop3State;
  /** The name given with USER, waiting for PASS. */
  pendingUser: string | null;
  /** The messages numbered at login; null before it. */
  readonly maildrop: Maildrop | null;
  readonly loginDisabled: boolean;
  readonly stlsOffered: boolean;
  reply(line: string): Promise<void>;
  /** "+OK …" and then a dot-stuffed multi-line body. */
  multiline(first: string, content: Buffer): Promise<void>;
  nextLine(): Promise<string | null>;
  logIn(user: string, password: string): Promise<void>;
  startTls(): Promise<void>;
  close(): void;
}

/** One command: what it does with its arguments (split at spaces). */
export type Pop3Handler = (session: Pop3Context, args: string[]) => Promise<void>;
