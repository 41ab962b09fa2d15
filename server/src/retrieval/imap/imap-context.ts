import type { Connection } from "../listener/connection.js";
import type { Account, Folder } from "../mailbox/account.js";
import type { MailboxView } from "../mailbox/mailbox-view.js";
import type { RetrievalModel, RetrievalTransport } from "../retrieval-deps.js";
import type { ReaderLimits } from "./command-reader.js";
import type { WireValue } from "./wire/wire-value.js";

export type SessionState = "not-authenticated" | "authenticated" | "selected" | "logout";

export interface ImapLimits extends ReaderLimits {
  /** RFC 3501 section 5.4 allows closing an unauthenticated connection sooner than an authenticated one. */
  idleBeforeLoginMs: number;
  /** At least 30 minutes after login (RFC 3501 section 5.4); clients re-issue IDLE every 29. */
  idleAfterLoginMs: number;
}

export interface ImapDeps {
  model: RetrievalModel;
  transport: RetrievalTransport;
  limits: ImapLimits;
  /** Names the server in the greeting. */
  hostname: string;
}

export interface SelectedMailbox {
  folder: Folder;
  view: MailboxView;
  readOnly: boolean;
}

/**
 * What a command handler sees of its session (`ImapSession` implements it): the state, the
 * selected mailbox, and how to answer. Handlers depend on this, not on the session class, so the
 * state machine and the commands do not import each other.
 */
export interface ImapContext {
  readonly deps: ImapDeps;
  readonly connection: Connection;
  state: SessionState;
  account: Account | null;
  selected: SelectedMailbox | null;
  /** RFC 3501 section 7.2.1, for the current state and transport. */
  capabilities(): string[];
  /** Plain-text credentials are refused until TLS (`requireTls`). */
  readonly loginDisabled: boolean;
  loggedIn(account: Account): void;
  closeMailbox(): void;
  untagged(text: string): Promise<void>;
  /** `* ` followed by values (numbers, atoms, strings, lists), literals where needed. */
  untaggedValues(values: WireValue[]): Promise<void>;
  tagged(tag: string, status: "OK" | "NO" | "BAD", text: string): Promise<void>;
  continuation(text: string): Promise<void>;
  /** Sends what changed in the selected mailbox; expunges only when allowed (RFC 3501 section 7.4.1). */
  flushUpdates(allowExpunge: boolean): Promise<void>;
  /** Sends a pending `n EXISTS` alone: before a command resolves `*` and message numbers. */
  announceExists(): Promise<void>;
  /** The next line the client sends (AUTHENTICATE, IDLE); null when it went away. */
  nextLine(): Promise<string | null>;
  startTls(tag: string): Promise<void>;
  logout(tag: string): Promise<void>;
}
