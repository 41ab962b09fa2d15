import { performance } from "node:perf_hooks";
import type { TLSSocket } from "node:tls";
import {
  SMTPServer,
  type SMTPServerDataStream,
  type SMTPServerOptions,
  type SMTPServerSession,
} from "smtp-server";
import type { MailnestConfig } from "../config.js";
import type { EventBus } from "../events/bus.js";
import type { FaultStage } from "../faults/fault-rule.js";
import type { FaultHit, FaultStore } from "../faults/fault-store.js";
import type { MessageStore } from "../store/message-store.js";
import type { TlsInfo } from "../store/model.js";
import { createMessageId } from "../store/ulid.js";
import { AUTH_METHODS, createAuthPolicy } from "./auth-policy.js";
import { envelopeSyntaxRefusal } from "./envelope-syntax.js";
import { isClientGone, replyForIngestFailure } from "./ingest-outcome.js";
import { tlsInfoOf, toDsnRequest, toFaultEnvelope, toIncomingEnvelope } from "./session-envelope.js";
import { SmtpReplyError } from "./smtp-error.js";
import type { TlsCredentials } from "./tls-credentials.js";
import { insecureAuthAllowed, mailFromRefusal, starttlsOffered } from "./transport-policy.js";

/** What one SMTP listener reads of the configuration. */
export type SmtpConfig = Pick<
  MailnestConfig,
  | "host"
  | "smtpPort"
  | "domain"
  | "maxMessageSize"
  | "maxRecipients"
  | "maxConnections"
  | "smtpIdleTimeoutMs"
  | "shutdownGraceMs"
  | "smtpUsers"
  | "starttls"
  | "tls"
  | "requireTls"
  | "allowInsecureAuth"
  | "requireAuth"
  | "xclientPeers"
>;

export interface SmtpListenerDeps {
  config: SmtpConfig;
  store: MessageStore;
  bus: EventBus;
  /** Consulted at every stage; absent = no fault injection. */
  faults?: FaultStore | null;
  /** Required for STARTTLS (when the config offers it) and for the implicit-TLS listener. */
  tls?: TlsCredentials | null;
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
 * Any MAIL FROM and any RCPT TO is accepted (unless `--require-tls`/`--require-auth` or a fault rule
 * says otherwise); each message is streamed into the store and answered 250 only once the store
 * says it is durable and visible. With `implicitTls` it is the port-465 style listener: the same
 * hooks behind a TLS handshake on connect.
 */
export async function startSmtpListener(
  deps: SmtpListenerDeps,
  options: { port: number; implicitTls?: boolean } = { port: deps.config.smtpPort },
): Promise<SmtpListener> {
  const { config, store, bus } = deps;
  const faults = deps.faults ?? null;
  const implicitTls = options.implicitTls ?? false;
  const offerStarttls = !implicitTls && starttlsOffered(config);
  const credentials = deps.tls ?? null;
  if ((implicitTls || offerStarttls) && credentials === null) {
    throw new Error("startSmtpListener: TLS is configured but no certificate was passed (deps.tls)");
  }
  const decideAuth = createAuthPolicy(config.smtpUsers);
  const maxSize = config.maxMessageSize;
  /** Sessions whose message is between DATA and the final answer. */
  const busySessions = new Set<SMTPServerSession>();
  /** Sessions announced as opened, so `closed` is never announced for a connection turned away first. */
  const openedSessions = new WeakSet<SMTPServerSession>();
  /** The TLS session of each secured connection, taken from its socket when the handshake is done. */
  const tlsSessions = new WeakMap<SMTPServerSession, TlsInfo>();
  /** Replies held back by a `slow` or `tarpit` fault, cancelled when their connection goes. */
  const heldReplies = new WeakMap<SMTPServerSession, Set<NodeJS.Timeout>>();
  let closing: Promise<void> | null = null;

  /**
   * Asks the fault rules about this stage and hands the answer to `then`: at once, or after the
   * database when a shared rule's use must be taken first (docs/scaling.md, "Fault rules"). A
   * refusal or a dropped connection is announced like any refusal.
   */
  function injectFault(
    stage: FaultStage,
    session: SMTPServerSession,
    offered: { mailFrom?: string; recipient?: string },
    then: (hit: FaultHit | null) => void,
  ): void {
    const announce = (hit: FaultHit | null) => {
      const { effect } = hit ?? {};
      // A dropped connection has no reply code: it is counted as code 0.
      if (effect?.kind === "reply") bus.emit("smtp.rejected", { reason: "fault", code: effect.code });
      if (effect?.kind === "drop") bus.emit("smtp.rejected", { reason: "fault", code: 0 });
      then(hit);
    };
    const decided =
      faults?.decide({ stage, envelope: toFaultEnvelope(session, offered), connectionId: session.id }) ??
      null;
    // `decide` settles to null rather than rejecting, so a fault store failure never leaves a command unanswered.
    if (decided instanceof Promise) void decided.then(announce);
    else announce(decided);
  }

  /** Runs `then` after `ms` (at once for 0), unless the connection is gone by then. */
  function holdReply(session: SMTPServerSession, ms: number, then: () => void): void {
    if (ms <= 0) {
      then();
      return;
    }
    const timers = heldReplies.get(session) ?? new Set();
    heldReplies.set(session, timers);
    const timer = setTimeout(() => {
      timers.delete(timer);
      then();
    }, ms);
    timers.add(timer);
  }

  /**
   * Answers a command hook (connect, MAIL FROM, RCPT TO) as the fault says: its refusal, or the
   * normal answer late; without a fault, the normal answer.
   */
  function answer(hit: FaultHit | null, session: SMTPServerSession, callback: (error?: Error) => void): void {
    const effect = hit?.effect;
    if (effect?.kind === "reply") callback(new SmtpReplyError(effect.code, effect.text, "fault"));
    else if (effect?.kind === "delay") holdReply(session, effect.ms, () => callback());
    else callback();
  }

  function refuse(error: SmtpReplyError, callback: (error?: Error | null) => void): void {
    bus.emit("smtp.rejected", { reason: error.reason, code: error.responseCode });
    callback(error);
  }

  const smtpOptions: SMTPServerOptions = {
    name: config.domain,
    banner: "Mailnest",
    logger: false,
    // [patches/smtp-server@3.21.6.patch] no 100 ms early-talker pause before the greeting.
    greetingDelay: 0,
    disableReverseLookup: true,
    // XCLIENT (Postfix's XCLIENT_README) from these peers names the client a message comes from: its
    // ADDR becomes `remoteAddress`, the IP that SPF checks (docs/authentication.md).
    useXClient: config.xclientPeers.length > 0 ? [...config.xclientPeers] : false,
    // DSN (RFC 3461) is advertised: Mailnest makes delivery reports (after-acceptance/), and they
    // follow the client's NOTIFY, RET, ENVID and ORCPT.
    hideDSN: false,
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
    // --require-auth is checked at MAIL FROM, so that the refusal is the 530 of RFC 4954 section 6.
    authOptional: true,
    allowInsecureAuth: insecureAuthAllowed(config),
    authMethods: [...AUTH_METHODS],
    ...(credentials ? { key: credentials.key, cert: credentials.cert } : {}),
    secure: implicitTls,
    // Without STARTTLS on offer (the default: see `MailnestConfig.starttls`) it is not advertised
    // at all, so opportunistic clients stay in plain text instead of failing on an untrusted certificate.
    disabledCommands: implicitTls || offerStarttls ? [] : ["STARTTLS"],

    onConnect(session, callback) {
      openedSessions.add(session);
      bus.emit("smtp.connection.opened", { remoteAddress: session.remoteAddress });
      faults?.connectionOpened(session.id, session.remoteAddress);
      // smtp-server answers an onConnect error instead of the greeting and closes the connection;
      // the greeting carries no enhanced status code of its own, so a refusal's status is in its text.
      injectFault("connect", session, {}, (hit) => answer(hit, session, callback));
    },

    onSecure(socket, session, callback) {
      tlsSessions.set(session, tlsInfoOf(socket as TLSSocket, implicitTls));
      callback();
    },

    onClose(session) {
      busySessions.delete(session);
      for (const timer of heldReplies.get(session) ?? []) clearTimeout(timer);
      heldReplies.delete(session);
      faults?.connectionClosed(session.id);
      if (openedSessions.has(session)) {
        bus.emit("smtp.connection.closed", { remoteAddress: session.remoteAddress });
      }
    },

    onAuth(auth, _session, callback) {
      const decision = decideAuth(auth);
      if (decision instanceof SmtpReplyError) {
        refuse(decision, callback);
        return;
      }
      callback(null, { user: decision.user });
    },

    // Catch-all: every well-formed sender and recipient is accepted, unless a policy or a fault says no.
    onMailFrom(address, session, callback) {
      const refusal = envelopeSyntaxRefusal("MAIL FROM", address) ?? mailFromRefusal(session, config);
      if (refusal) {
        refuse(refusal, callback);
        return;
      }
      injectFault("mail", session, { mailFrom: address.address }, (hit) => answer(hit, session, callback));
    },

    onRcptTo(address, session, callback) {
      const refusal = envelopeSyntaxRefusal("RCPT TO", address);
      if (refusal) {
        refuse(refusal, callback);
        return;
      }
      injectFault("rcpt", session, { recipient: address.address }, (hit) => answer(hit, session, callback));
    },

    onData(stream, session, callback) {
      injectFault("disconnect", session, {}, (dropped) => {
        if (dropped) dropMidData(stream, session);
        else injectFault("data", session, {}, (hit) => receiveData(stream, session, hit, callback));
      });
    },
  };

  /** DATA after the fault rules have spoken: refused, dropped, answered late, or stored. */
  function receiveData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    hit: FaultHit | null,
    callback: (error: Error | null, reply?: string) => void,
  ): void {
    const effect = hit?.effect;
    if (effect?.kind === "reply") {
      // smtp-server reads the rest of the message and answers after the final dot; nothing is stored.
      callback(new SmtpReplyError(effect.code, effect.text, "fault"));
      return;
    }
    if (effect?.kind === "blackhole") {
      // Answered like a stored message, with an id that names nothing: the message is read and dropped.
      stream.on("error", () => {});
      stream.resume();
      stream.once("end", () => callback(null, `Ok: queued as ${createMessageId()}`));
      return;
    }
    // A `slow` or `tarpit` data fault: the message is stored at once and its 250 comes late, so a
    // client that gives up first and sends again delivers it twice, as with a real slow server.
    const lateMs = effect?.kind === "delay" ? effect.ms : 0;
    busySessions.add(session);
    const finish = (error: Error | null, reply?: string) =>
      holdReply(session, lateMs, () => {
        busySessions.delete(session);
        callback(error, reply);
        if (closing) hangUpAfterReply(session);
      });
    receiveMessage(stream, session).then(
      (reply) => finish(null, reply),
      (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
    );
  }

  async function receiveMessage(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const envelope = toIncomingEnvelope(session, session.secure ? (tlsSessions.get(session) ?? null) : null);
    let dataEndedAt: number | null = null;
    stream.once("end", () => {
      dataEndedAt = performance.now();
    });
    try {
      const message = await store.ingest(stream, envelope, { maxSize });
      const ingestMs = performance.now() - (dataEndedAt ?? performance.now());
      bus.emit("smtp.stored", { id: message.id, dsn: toDsnRequest(session) });
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

  /**
   * The `disconnect` fault: once the message has started to arrive, the connection is closed
   * without a reply, as when a server crashes mid-DATA. smtp-server then ends the stream; nothing
   * reaches the store.
   */
  function dropMidData(stream: SMTPServerDataStream, session: SMTPServerSession): void {
    let dropped = false;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      for (const connection of server.connections) {
        if (connection.session === session) connection.close();
      }
    };
    stream.on("error", () => {}); // the stream is destroyed with the connection; nobody reads it
    stream.once("data", drop);
    stream.once("end", drop);
  }

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
