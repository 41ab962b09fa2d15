import type { Connection } from "../listener/connection.js";
import { isHttpRequestLine } from "../listener/http-request-line.js";
import { InputQueue } from "../listener/input-queue.js";
import { authenticate } from "../mailbox/account.js";
import { listMessages } from "../mailbox/list-messages.js";
import { dotStuffed } from "./dot-stuffing.js";
import { Maildrop } from "./maildrop.js";
import type { Pop3Context, Pop3Deps, Pop3Handler, Pop3State } from "./pop3-context.js";

export type Pop3Handlers = Record<"authorization" | "transaction", ReadonlyMap<string, Pop3Handler>>;

/**
 * One POP3 connection (RFC 1939 with CAPA, RFC 2449; STLS, RFC 2595; SASL PLAIN, RFC 5034): the
 * AUTHORIZATION, TRANSACTION and UPDATE states, one handler per command, commands run in order.
 */
export class Pop3Session implements Pop3Context {
  readonly deps: Pop3Deps;
  readonly connection: Connection;
  state: Pop3State = "authorization";
  user: string | null = null;
  /** The name given with USER, waiting for PASS. */
  pendingUser: string | null = null;
  maildrop: Maildrop | null = null;
  #buffer: Buffer = Buffer.alloc(0);
  #discarding = false;
  readonly #queue: InputQueue<string>;
  readonly #handlers: Pop3Handlers;

  /** `handlers`: the commands of each state (`pop3-commands.ts`). */
  constructor(deps: Pop3Deps, connection: Connection, handlers: Pop3Handlers) {
    this.deps = deps;
    this.#handlers = handlers;
    this.connection = connection;
    this.#queue = new InputQueue(connection);
    connection.onData((chunk) => this.#receive(chunk));
    connection.onClose(() => {
      this.state = "closed";
    });
    connection.setIdleTimeout(deps.limits.idleMs, () => {
      void this.reply("-ERR Autologout; idle for too long").then(() => this.close());
    });
  }

  async start(): Promise<void> {
    await this.reply(`+OK ${this.deps.hostname} Mailnest POP3 ready`);
    for (;;) {
      const line = await this.nextLine();
      if (line === null) return;
      await this.#handle(line);
    }
  }

  get loginDisabled(): boolean {
    return this.deps.transport.requireTls && !this.connection.secure;
  }

  get stlsOffered(): boolean {
    const { transport } = this.deps;
    return transport.starttls && transport.tls !== null && !this.connection.secure;
  }

  reply(line: string): Promise<void> {
    return this.connection.write(`${line}\r\n`);
  }

  /** "+OK …" and then a dot-stuffed multi-line body. */
  async multiline(first: string, content: Buffer): Promise<void> {
    await this.connection.write([Buffer.from(`${first}\r\n`), ...dotStuffed(content)]);
  }

  nextLine(): Promise<string | null> {
    return this.#queue.next();
  }

  async logIn(user: string, password: string): Promise<void> {
    const outcome = authenticate(this.deps.model.access, user, password);
    if ("refused" in outcome) {
      await this.reply(`-ERR [AUTH] ${outcome.refused}`);
      return;
    }
    const { account } = outcome;
    this.maildrop = new Maildrop(await listMessages(this.deps.model.store, account.inbox));
    this.user = account.user;
    this.state = "transaction";
    this.deps.model.onLogin({
      protocol: "pop3",
      user: account.user,
      inbox: account.inbox,
      remoteAddress: this.connection.remoteAddress,
      tls: this.connection.secure,
    });
    const listed = this.maildrop.listed();
    const octets = listed.reduce((sum, [, summary]) => sum + summary.size, 0);
    await this.reply(`+OK Logged in; ${listed.length} messages (${octets} octets)`);
  }

  async startTls(): Promise<void> {
    this.#buffer = Buffer.alloc(0);
    this.#queue.clear();
    const goAhead = () => this.reply("+OK Begin TLS negotiation");
    await this.connection.startTls(this.deps.transport.tls!, goAhead).catch(() => this.connection.destroy());
  }

  close(): void {
    this.state = "closed";
    this.#queue.close();
    this.connection.end();
  }

  #receive(chunk: Buffer): void {
    if (this.state === "closed") return;
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const newline = this.#buffer.indexOf(0x0a);
      if (newline === -1) {
        if (this.#buffer.length > this.deps.limits.maxLineBytes) {
          if (!this.#discarding) this.#queue.push("\x00too long");
          this.#discarding = true;
          this.#buffer = Buffer.alloc(0);
        }
        break;
      }
      const end = newline > 0 && this.#buffer[newline - 1] === 0x0d ? newline - 1 : newline;
      const line =
        end > this.deps.limits.maxLineBytes ? "\x00too long" : this.#buffer.toString("latin1", 0, end);
      this.#buffer = this.#buffer.subarray(newline + 1);
      if (this.#discarding) {
        this.#discarding = false;
        continue;
      }
      this.#queue.push(line);
    }
  }

  async #handle(line: string): Promise<void> {
    if (this.state !== "transaction" && isHttpRequestLine(line)) {
      await this.reply("-ERR This is a POP3 server, not an HTTP one");
      this.close();
      return;
    }
    if (line === "\x00too long") {
      await this.reply("-ERR Line too long");
      return;
    }
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) {
      await this.reply("-ERR Control characters in command");
      return;
    }
    const [word = "", ...args] = line.split(" ");
    const name = word.toUpperCase();
    const handler = this.#handlers[this.state === "transaction" ? "transaction" : "authorization"].get(name);
    if (!handler) {
      const known = this.#handlers.transaction.has(name) || this.#handlers.authorization.has(name);
      await this.reply(
        known ? `-ERR ${name} not allowed now` : `-ERR Unknown command ${JSON.stringify(word.slice(0, 20))}`,
      );
      return;
    }
    try {
      await handler(this, args);
    } catch (error) {
      console.error(`mailnest: POP3 ${name} failed:`, error);
      await this.reply(`-ERR [SYS/TEMP] ${name} failed`);
    }
  }
}
