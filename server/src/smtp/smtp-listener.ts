import { performance } from "node:perf_hooks";
import {
  SMTPServer,
  type SMTPServerDataStream,
  type SMTPServerOptions,
  type SMTPServerSession,
} from "smtp-server";
import type { MailnestConfig } from "../config.js";
import type { EventBus } from "../events/bus.js";
import type { MessageStore } from "../store/message-store.js";
import { decideAuth } from "./auth-policy.js";
import { isClientGone, replyForIngestFailure } from "./ingest-outcome.js";
import { toIncomingEnvelope } from "./session-envelope.js";

export interface SmtpListenerDeps {
  config: MailnestConfig;
  store: MessageStore;
  bus: EventBus;
}

export interface SmtpListener {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /**
   * Stops accepting connections, answers 421 to idle ones, lets messages already in DATA finish
   * (their client gets its 250 first), and answers 421 to whatever is still open after
   * `config.shutdownGraceMs`. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * The catch-all SMTP listener: nodemailer's smtp-server, customised only through its hooks.
 * Any MAIL FROM and any RCPT TO is accepted; each message is streamed into the store and answered
 * 250 only once the store says it is durable and visible.
 */
export async function startSmtpListener(
  deps: SmtpListenerDeps,
  options: { port: number; implicitTls?: boolean } = { port: deps.config.smtpPort },
): Promise<SmtpListener> {
  const { config, store, bus } = deps;
  const implicitTls = options.implicitTls ?? false;
  const maxSize = config.maxMessageSize;
  /** Sessions whose message is between DATA and the final answer. */
  const busySessions = new Set<SMTPServerSession>();
  /** Sessions announced as opened, so `closed` is never announced for a connection turned away first. */
  const openedSessions = new WeakSet<SMTPServerSession>();
  let closing: Promise<void> | null = null;

  const smtpOptions: SMTPServerOptions = {
    name: config.domain,
    banner: "Mailnest",
    logger: false,
    // [patches/smtp-server@3.21.6.patch] no 100 ms early-talker pause before the greeting.
    greetingDelay: 0,
    disableReverseLookup: true,
    // smtp-server enforces these limits itself, with the right enhanced codes (552 5.3.4 for a declared
    // SIZE= at MAIL FROM, 452 4.5.3 per extra RCPT); those two answers never reach a hook, so they are
    // not announced as `smtp.rejected`.
    size: maxSize,
    // An oversized body gets 552 5.3.4 after the final dot; the store refuses it too, so nothing is kept.
    rejectOversized: true,
    maxRecipients: config.maxRecipients,
    maxClients: config.maxConnections,
    socketTimeout: config.smtpIdleTimeoutMs,
    closeTimeout: config.shutdownGraceMs,
    hidePIPELINING: false,
    hide8BITMIME: false,
    hideSMTPUTF8: false,
    hideENHANCEDSTATUSCODES: false,
    authOptional: true,
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    // No certificate yet (issue 6): advertising STARTTLS with smtp-server's built-in one would make
    // opportunistic clients such as nodemailer upgrade and then fail certificate verification.
    disabledCommands: ["STARTTLS"],

    onConnect(session, callback) {
      openedSessions.add(session);
      bus.emit("smtp.connection.opened", { remoteAddress: session.remoteAddress });
      callback();
    },

    onClose(session) {
      busySessions.delete(session);
      if (openedSessions.has(session)) {
        bus.emit("smtp.connection.closed", { remoteAddress: session.remoteAddress });
      }
    },

    onAuth(auth, _session, callback) {
      const decision = decideAuth(auth);
      if (decision instanceof Error) {
        bus.emit("smtp.rejected", { reason: decision.reason, code: decision.responseCode });
        callback(decision);
        return;
      }
      callback(null, { user: decision.user });
    },

    // Catch-all: every sender and every recipient is accepted.
    onMailFrom(_address, _session, callback) {
      callback();
    },

    onRcptTo(_address, _session, callback) {
      callback();
    },

    onData(stream, session, callback) {
      busySessions.add(session);
      receiveMessage(stream, session).then(
        (reply) => {
          busySessions.delete(session);
          callback(null, reply);
          if (closing) hangUpAfterReply(session);
        },
        (error: unknown) => {
          busySessions.delete(session);
          callback(error instanceof Error ? error : new Error(String(error)));
          if (closing) hangUpAfterReply(session);
        },
      );
    },
  };

  async function receiveMessage(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const envelope = toIncomingEnvelope(session, { implicitTls });
    let dataEndedAt: number | null = null;
    stream.once("end", () => {
      dataEndedAt = performance.now();
    });
    try {
      const message = await store.ingest(stream, envelope, { maxSize });
      const ingestMs = performance.now() - (dataEndedAt ?? performance.now());
      bus.emit("smtp.accepted", { bytes: message.size, ingestMs });
      return `Ok: queued as ${message.id}`;
    } catch (error) {
      // A store that gave up early must not leave the client's remaining DATA unread: smtp-server
      // answers only once the stream has ended.
      if (!stream.readableEnded && !stream.destroyed) stream.resume();
      const reply = replyForIngestFailure(error, maxSize);
      // A client that vanished mid-DATA gets no answer and is no rejection; it is simply not stored.
      const clientGone = isClientGone(error) || (stream.destroyed && dataEndedAt === null);
      if (!clientGone) bus.emit("smtp.rejected", { reason: reply.reason, code: reply.responseCode });
      throw reply;
    }
  }

  const server = new SMTPServer(smtpOptions);

  /** While shutting down, a connection whose message was just answered is told 421 right after. */
  function hangUpAfterReply(session: SMTPServerSession): void {
    setImmediate(() => {
      for (const connection of server.connections) {
        if (connection.session === session) connection.send(421, "Server shutting down");
      }
    });
  }

  const port = await listen(server, options.port, config.host);

  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        // smtp-server stops listening, answers 421 to any further command, and after `closeTimeout`
        // sends 421 to every connection still open; the callback runs when all are gone.
        server.close(() => resolve());
        for (const connection of server.connections) {
          if (!busySessions.has(connection.session)) connection.send(421, "Server shutting down");
        }
      });
      return closing;
    },
  };
}

function listen(server: SMTPServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onListenError = (error: Error) => reject(error);
    server.once("error", onListenError);
    server.listen(port, host, () => {
      server.off("error", onListenError);
      // Errors after this point belong to single connections (a reset mid-transaction); smtp-server
      // already cleans those up, and an unhandled "error" event would take the process down.
      server.on("error", () => {});
      const address = server.server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}
