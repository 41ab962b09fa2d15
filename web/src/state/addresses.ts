import { sameInbox } from "@mailnest/protocol";

/**
 * Inbox addresses from the URL may be written differently from the server's normalized form; the
 * viewer recognises the same inbox with the one address rule the server uses.
 */
export const sameAddress = sameInbox;
