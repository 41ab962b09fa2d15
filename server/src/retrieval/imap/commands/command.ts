import type { ArgumentReader } from "../argument-reader.js";
import type { ImapContext, SessionState } from "../imap-context.js";

/** One IMAP command: where it may run, and its handler (which writes the tagged reply). */
export interface ImapCommand {
  states: readonly SessionState[];
  run(session: ImapContext, tag: string, args: ArgumentReader): Promise<void>;
}

export const ANY_STATE: readonly SessionState[] = ["not-authenticated", "authenticated", "selected"];
export const NOT_AUTHENTICATED: readonly SessionState[] = ["not-authenticated"];
export const AUTHENTICATED: readonly SessionState[] = ["authenticated", "selected"];
export const SELECTED: readonly SessionState[] = ["selected"];
