import { isStorageFailedError } from "../../store/message-store.js";
import type { Connection } from "../listener/connection.js";
import { isHttpRequestLine } from "../listener/http-request-line.js";
import { InputQueue } from "../listener/input-queue.js";
import type { Account } from "../mailbox/account.js";
import { ArgumentReader } from "./argument-reader.js";
import { type CommandPart, CommandReader, type ReaderEvent } from "./command-reader.js";
import { CommandSyntaxError, tokenize } from "./command-tokens.js";
import type { ImapCommand } from "./commands/command.js";
import type { ImapContext, ImapDeps, SelectedMailbox, SessionState } from "./imap-context.js";
import { atom, type WireValue, writeValues } from "./wire/wire-value.js";

type QueueItem = { kind: "command"; parts: CommandPart[] } | Extract<ReaderEvent, { kind: "refused" }>;

/**
 * The state machine of one IMAP connection (RFC 3501 section 3): frames commands with
 * `CommandReader`, runs them one at a time through their handler (`commands/`), and announces the
 * selected mailbox's changes where the protocol allows. Nothing a client sends can throw out of
 * here: syntax errors are answered BAD, anything else NO, and the session goes on.
 */
export class ImapSession implements ImapContext {
  readonly deps: ImapDeps;
  readonly connection: Connection;
  state: SessionState = "not-authenticated";
  account: Account | null = null;
  selected: SelectedMailbox | null = null;
  readonly #reader: CommandReader;
  readonly #queue: InputQueue<QueueItem>;
  readonly #commands: ReadonlyMap<string, ImapCommand>;
  /** A literal too large to skip was announced: BYE follows, nothing more is read. */
  #hangingUp = false;

  /** `commands`: every command the server knows, by name (`commands/index.ts`). */
  constructor(deps: ImapDeps, connection: Connection, commands: ReadonlyMap<string, ImapCommand>) {
    this.deps = deps;
    this.#commands = commands;
    this.connection = connection;
    this.#reader = new CommandReader(deps.limits);
    this.#queue = new InputQueue(connection);
    connection.onData((chunk) => this.#receive(chunk));
    connection.onClose(() => {
      this.state = "logout";
      this.closeMailbox();
    });
    connection.setIdleTimeout(deps.limits.idleBeforeLoginMs, () => this.#autologout());
  }

  async start(): Promise<void> {
    await this.untagged(
      `OK [CAPABILITY ${this.capabilities().join(" ")}] ${this.deps.hostname} Mailnest IMAP4rev1 ready`,
    );
    await this.#run();
  }

  /** RFC 3501 section 7.2.1, and what changes with TLS and login. */
  capabilities(): string[] {
    const { transport } = this.deps;
    const list = ["IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "IDLE", "NAMESPACE", "UNSELECT", "CHILDREN"];
    if (this.state === "not-authenticated") {
      if (transport.starttls && transport.tls !== null && !this.connection.secure) list.push("STARTTLS");
      if (this.loginDisabled) list.push("LOGINDISABLED");
      else list.push("AUTH=PLAIN");
    }
    return list;
  }

  /** Plain-text credentials are refused until TLS when TLS is required (RFC 3501 section 6.2.3). */
  get loginDisabled(): boolean {
    return this.deps.transport.requireTls && !this.connection.secure;
  }

  loggedIn(account: Account): void {
    this.account = account;
    this.state = "authenticated";
    this.connection.setIdleTimeout(this.deps.limits.idleAfterLoginMs, () => this.#autologout());
    this.deps.model.onLogin({
      protocol: "imap",
      user: account.user,
      inbox: account.inbox,
      remoteAddress: this.connection.remoteAddress,
      tls: this.connection.secure,
    });
  }

  closeMailbox(): void {
    this.selected?.view.close();
    this.selected = null;
    if (this.state === "selected") this.state = "authenticated";
  }

  // --- output --------------------------------------------------------------------------------

  untagged(text: string): Promise<void> {
    return this.connection.write(`* ${text}\r\n`);
  }

  /** `* ` followed by values (numbers, atoms, strings, lists), literals where needed. */
  untaggedValues(values: WireValue[]): Promise<void> {
    return this.connection.write([Buffer.from("* "), ...writeValues(values), Buffer.from("\r\n")]);
  }

  tagged(tag: string, status: "OK" | "NO" | "BAD", text: string): Promise<void> {
    return this.connection.write(`${tag} ${status} ${text}\r\n`);
  }

  continuation(text: string): Promise<void> {
    return this.connection.write(`+ ${text}\r\n`);
  }

  /** Tells the client of new mail in the selected mailbox before a command resolves message numbers. */
  async announceExists(): Promise<void> {
    const count = this.selected?.view.takeExists() ?? null;
    if (count !== null) await this.untagged(`${count} EXISTS`);
  }

  /**
   * Sends what changed in the selected mailbox. Expunges only when `allowExpunge` (not during
   * FETCH, STORE or SEARCH: RFC 3501 section 7.4.1), so message numbers hold still meanwhile.
   */
  async flushUpdates(allowExpunge: boolean): Promise<void> {
    const view = this.selected?.view;
    if (!view) return;
    for (const update of view.takeUpdates(allowExpunge)) {
      if (update.kind === "expunge") await this.untagged(`${update.seq} EXPUNGE`);
      else if (update.kind === "exists") await this.untagged(`${update.count} EXISTS`);
      else {
        const flags = view.flagsOf(update.entry).map(atom);
        await this.untaggedValues([
          update.seq,
          atom("FETCH"),
          [atom("UID"), update.entry.uid, atom("FLAGS"), flags],
        ]);
      }
    }
  }

  /** The next line the client sends, for commands that read continuations (AUTHENTICATE, IDLE); null when it went away. */
  async nextLine(): Promise<string | null> {
    const item = await this.#queue.next();
    if (item === null) return null;
    if (item.kind === "refused") return "";
    const first = item.parts[0];
    return first && "line" in first ? first.line : "";
  }

  /** STARTTLS: reply first, then the handshake; what the client pipelined in plain text is dropped. */
  async startTls(tag: string): Promise<void> {
    this.#reader.reset();
    this.#queue.clear();
    const goAhead = () => this.tagged(tag, "OK", "Begin TLS negotiation now");
    await this.connection.startTls(this.deps.transport.tls!, goAhead).catch(() => this.connection.destroy());
  }

  async logout(tag: string): Promise<void> {
    this.state = "logout";
    this.#queue.close();
    await this.untagged("BYE Mailnest logging out");
    await this.tagged(tag, "OK", "LOGOUT completed");
    this.closeMailbox();
    this.connection.end();
  }

  /** At server shutdown. */
  async shutdown(): Promise<void> {
    this.state = "logout";
    await this.untagged("BYE Server shutting down");
  }

  // --- input ---------------------------------------------------------------------------------

  #receive(chunk: Buffer): void {
    if (this.state === "logout" || this.#hangingUp) return;
    for (const event of this.#reader.push(chunk)) {
      if (event.kind === "continue") {
        void this.continuation("Ready for literal data");
        continue;
      }
      this.#queue.push(event);
      if (event.kind === "refused" && event.fatal) {
        // The refused literal's bytes follow: none of them may be read as commands.
        this.#hangingUp = true;
        return;
      }
    }
  }

  async #run(): Promise<void> {
    for (;;) {
      const item = await this.#queue.next();
      if (item === null) return;
      try {
        await this.#handle(item);
      } catch (error) {
        // A handler that failed unexpectedly (a store error, a bug): the client gets a BYE and the
        // server goes on serving everyone else.
        console.error("mailnest: IMAP session failed:", error);
        await this.untagged("BYE Internal error").catch(() => {});
        this.connection.end();
        return;
      }
    }
  }

  async #handle(item: QueueItem): Promise<void> {
    if (item.kind === "refused") {
      const code = item.code ? `[${item.code}] ` : "";
      if (item.fatal) {
        this.state = "logout";
        this.#queue.close();
        await this.untagged(`BYE ${code}${item.reason}`);
        this.connection.end();
        return;
      }
      if (item.tag) await this.tagged(item.tag, "BAD", `${code}${item.reason}`);
      else await this.untagged(`BAD ${code}${item.reason}`);
      return;
    }
    const first = item.parts[0];
    const line = first && "line" in first ? first.line : "";
    if (this.state === "not-authenticated" && isHttpRequestLine(line)) {
      this.state = "logout";
      this.#queue.close();
      await this.untagged("BYE This is an IMAP server, not an HTTP one");
      this.connection.end();
      return;
    }
    const tagMatch = /^([^\s(){%*"\\+\x00-\x1f\x7f]+) /.exec(line);
    if (!tagMatch) {
      await this.untagged(`BAD Missing or invalid tag`);
      return;
    }
    const tag = tagMatch[1]!;
    const nameMatch = /^([A-Za-z]+)(?: ([A-Za-z]+))?(?= |$)/.exec(line.slice(tagMatch[0].length));
    if (!nameMatch) {
      await this.tagged(tag, "BAD", "Missing command name");
      return;
    }
    const isUid = nameMatch[1]!.toUpperCase() === "UID" && nameMatch[2] !== undefined;
    const name = (isUid ? `UID ${nameMatch[2]}` : nameMatch[1]!).toUpperCase();
    const consumed = tagMatch[0].length + (isUid ? nameMatch[0].length : nameMatch[1]!.length);
    try {
      const command = this.#commands.get(name);
      if (!command) {
        await this.tagged(tag, "BAD", `Unknown command ${name.slice(0, 40)}`);
        return;
      }
      if (!command.states.includes(this.state)) {
        await this.#refuseInState(tag, name, command.states);
        return;
      }
      const args = new ArgumentReader(tokenize(item.parts, consumed));
      await command.run(this, tag, args);
    } catch (error) {
      if (error instanceof CommandSyntaxError) {
        await this.tagged(tag, "BAD", `${name}: ${error.message}`);
        return;
      }
      // The storage is away for now (PostgreSQL restarting): the client may try again (RFC 5530).
      if (isStorageFailedError(error) && error.unavailable) {
        await this.tagged(tag, "NO", `[UNAVAILABLE] ${name} failed: the storage is unavailable, try again`);
        return;
      }
      // A store error or a bug: this command fails, the session and the server go on.
      console.error(`mailnest: IMAP ${name} failed:`, error);
      await this.tagged(tag, "NO", `[SERVERBUG] ${name} failed`);
    }
  }

  /** Commands before login get NO; the others, BAD (RFC 3501 section 6). */
  async #refuseInState(tag: string, name: string, states: readonly SessionState[]): Promise<void> {
    if (this.state === "not-authenticated") {
      await this.tagged(tag, "NO", `${name} refused: log in first`);
    } else if (states.includes("not-authenticated")) {
      await this.tagged(tag, "BAD", `${name} refused: already logged in`);
    } else {
      await this.tagged(tag, "BAD", `${name} refused: select a mailbox first`);
    }
  }

  async #autologout(): Promise<void> {
    if (this.state === "logout") return;
    this.state = "logout";
    this.#queue.close();
    await this.untagged("BYE Autologout; idle for too long");
    this.closeMailbox();
    this.connection.end();
  }
}
