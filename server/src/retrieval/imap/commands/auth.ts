import { authenticate } from "../../mailbox/account.js";
import { decodeSaslPlain } from "../../sasl-plain.js";
import type { ImapContext } from "../imap-context.js";
import { type ImapCommand, NOT_AUTHENTICATED } from "./command.js";

/** RFC 3501 section 6.2.1 (and RFC 2595). */
export const starttls: ImapCommand = {
  states: NOT_AUTHENTICATED,
  async run(session, tag, args) {
    args.end();
    const { transport } = session.deps;
    if (session.connection.secure) {
      await session.tagged(tag, "BAD", "The connection is already TLS");
      return;
    }
    if (!transport.starttls || transport.tls === null) {
      await session.tagged(tag, "NO", "STARTTLS is not offered (start Mailnest with --starttls)");
      return;
    }
    await session.startTls(tag);
  },
};

/** RFC 3501 section 6.2.3. */
export const login: ImapCommand = {
  states: NOT_AUTHENTICATED,
  async run(session, tag, args) {
    const user = args.astring("a user name");
    const password = args.astring("a password");
    args.end();
    await logIn(session, tag, user, password);
  },
};

/** RFC 3501 section 6.2.2 with SASL PLAIN (RFC 4616) only, and its initial response (RFC 4959 SASL-IR). */
export const authenticateCommand: ImapCommand = {
  states: NOT_AUTHENTICATED,
  async run(session, tag, args) {
    const mechanism = args.atom("a SASL mechanism").toUpperCase();
    const initial = args.done ? null : args.atom("an initial response", /^[A-Za-z0-9+/=]+$/);
    args.end();
    if (mechanism !== "PLAIN") {
      await session.tagged(tag, "NO", `[CANNOT] Unsupported mechanism ${mechanism.slice(0, 20)}; use PLAIN`);
      return;
    }
    if (session.loginDisabled) {
      await session.tagged(tag, "NO", "[PRIVACYREQUIRED] Start TLS first (STARTTLS)");
      return;
    }
    let response = initial;
    if (response === null) {
      await session.continuation("");
      response = await session.nextLine();
      if (response === null) return;
    }
    if (response.trim() === "*") {
      await session.tagged(tag, "BAD", "AUTHENTICATE cancelled");
      return;
    }
    const credentials = decodeSaslPlain(response.trim());
    if (credentials === null) {
      await session.tagged(
        tag,
        "BAD",
        "Invalid SASL PLAIN response (expected base64 of authzid NUL user NUL password)",
      );
      return;
    }
    await logIn(session, tag, credentials.user, credentials.password);
  },
};

async function logIn(session: ImapContext, tag: string, user: string, password: string): Promise<void> {
  if (session.loginDisabled) {
    await session.tagged(tag, "NO", "[PRIVACYREQUIRED] Start TLS first (STARTTLS)");
    return;
  }
  const outcome = authenticate(session.deps.model.access, user, password);
  if ("refused" in outcome) {
    await session.tagged(tag, "NO", `[AUTHENTICATIONFAILED] ${outcome.refused}`);
    return;
  }
  session.loggedIn(outcome.account);
  await session.tagged(tag, "OK", `[CAPABILITY ${session.capabilities().join(" ")}] Logged in`);
}
