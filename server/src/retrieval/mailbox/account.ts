import { createHash, timingSafeEqual } from "node:crypto";
import { normalizeAddress } from "@mailnest/protocol";
import type { MessageStore } from "../../store/message-store.js";

/** Who may log in to POP3 and IMAP, and what they see. */
export interface RetrievalAccess {
  /**
   * The login that sees every inbox (IMAP: INBOX holds all mail, plus one folder per inbox; POP3:
   * all mail). Compared case-insensitively.
   * @default "*"
   */
  catchAllLogin: string;
  /** null: any password is accepted (the login is still recorded); otherwise login → password. */
  users: ReadonlyMap<string, string> | null;
  /**
   * Without `users`, the password every login must give (the `--api-token`): the token guards every
   * way of reading captured mail, and POP3 and IMAP read (and delete) all of it. null: any password.
   */
  token?: string | null;
}

/** A logged-in user: an inbox address, or the catch-all (`inbox` null). */
export interface Account {
  /** The login name as the client gave it. */
  user: string;
  /** Normalized inbox address, or null for the catch-all login. */
  inbox: string | null;
}

export type LoginOutcome = { account: Account } | { refused: string };

/**
 * A login names an inbox (normalized with the one address rule, so `Ada@X.test` reads ada@x.test's
 * mail) or is the catch-all login. With `users` set, the name must be listed (as written or
 * normalized) and the password must match; without, a `token` is every login's password.
 */
export function authenticate(access: RetrievalAccess, user: string, password: string): LoginOutcome {
  const name = user.trim();
  if (name === "") return { refused: "empty user name" };
  const catchAll = name.toLowerCase() === access.catchAllLogin.toLowerCase();
  const inbox = catchAll ? null : normalizeAddress(name);
  if (inbox === "") return { refused: "empty user name" };
  if (access.users !== null) {
    const expected = access.users.get(name) ?? (inbox === null ? undefined : access.users.get(inbox));
    if (expected === undefined || !sameSecret(password, expected)) {
      return { refused: "invalid user name or password" };
    }
  } else if (access.token != null && !sameSecret(password, access.token)) {
    return { refused: "invalid password (the server's --api-token is the password)" };
  }
  return { account: { user: name, inbox } };
}

/** Hashing first gives equal lengths, so the comparison takes the same time whatever was sent. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** One IMAP folder: the messages of one inbox, or of all of them. */
export interface Folder {
  /** The IMAP name (Unicode; modified UTF-7 is the wire's business). "INBOX" for the login's own. */
  name: string;
  /** Normalized inbox address, or null for every message. */
  inbox: string | null;
}

export const INBOX = "INBOX";

/**
 * The folders of an account: an inbox login has its INBOX only; the catch-all login has INBOX as
 * "All mail" (every message, once) and one folder per inbox, named by its address. An inbox whose
 * address reads "inbox" is not listed as a folder of its own (the name is reserved, RFC 3501
 * section 5.1); that inbox is still reachable by logging in as it.
 */
export function foldersOf(account: Account, store: MessageStore): Folder[] {
  if (account.inbox !== null) return [{ name: INBOX, inbox: account.inbox }];
  const inboxes = store
    .listInboxes()
    .map((info) => info.address)
    .filter((address) => address.toUpperCase() !== INBOX)
    .sort();
  return [{ name: INBOX, inbox: null }, ...inboxes.map((address) => ({ name: address, inbox: address }))];
}

/** The folder a client named; INBOX in any case (RFC 3501 section 5.1). */
export function findFolder(account: Account, store: MessageStore, name: string): Folder | null {
  if (name.toUpperCase() === INBOX) return foldersOf(account, store)[0]!;
  if (account.inbox !== null) return null;
  const inbox = normalizeAddress(name);
  if (inbox.toUpperCase() === INBOX || store.getInbox(inbox) === null) return null;
  return { name: inbox, inbox };
}
