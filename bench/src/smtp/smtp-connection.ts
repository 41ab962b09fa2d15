import net from "node:net";
import { performance } from "node:perf_hooks";

/** One SMTP reply; a multi-line reply (`250-…` then `250 …`) is one reply with several lines. */
export interface SmtpReply {
  code: number;
  lines: string[];
}

export class SmtpBenchError extends Error {
  override name: string = "SmtpBenchError";
}

/** The server answered something other than what the step needs. */
export class UnexpectedReplyError extends SmtpBenchError {
  override name = "UnexpectedReplyError" as const;
  constructor(
    readonly step: string,
    readonly expected: number,
    readonly reply: SmtpReply,
  ) {
    super(`${step}: expected ${expected}, got ${reply.code} ${reply.lines.join(" / ")}`);
  }
}

export class ConnectionLostError extends SmtpBenchError {
  override name = "ConnectionLostError" as const;
}

export class ReplyTimeoutError extends SmtpBenchError {
  override name = "ReplyTimeoutError" as const;
}

/** Only loopback: the suite must never load a machine it does not own. */
export function assertLoopback(host: string): void {
  if (host !== "127.0.0.1" && host !== "::1" && host !== "localhost") {
    throw new SmtpBenchError(`the load generator only talks to loopback, got host "${host}"`);
  }
}

const CRLF = "\r\n";
/** A reply that takes this long means the server is stuck; the suite must end rather than hang. */
const DEFAULT_REPLY_TIMEOUT_MS = 60_000;

interface PendingReply {
  resolve: (reply: SmtpReply) => void;
  reject: (error: Error) => void;
}

/**
 * A raw-socket SMTP client for load generation: no parsing beyond reply codes, no TLS, no AUTH.
 * Replies are matched to requests strictly in order, which is what makes pipelining safe here.
 */
export class SmtpConnection {
  readonly #socket: net.Socket;
  readonly #replyTimeoutMs: number;
  #buffer = "";
  #currentLines: string[] = [];
  readonly #ready: SmtpReply[] = [];
  readonly #pending: PendingReply[] = [];
  #failure: Error | null = null;
  /** Extensions advertised in the EHLO reply, upper-cased keywords (e.g. "PIPELINING", "SIZE"). */
  extensions = new Set<string>();

  private constructor(socket: net.Socket, replyTimeoutMs: number) {
    this.#socket = socket;
    this.#replyTimeoutMs = replyTimeoutMs;
    socket.setNoDelay(true);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => this.#onData(chunk));
    socket.on("error", (error) => this.#fail(new ConnectionLostError(`socket error: ${error.message}`)));
    socket.on("close", () => this.#fail(new ConnectionLostError("connection closed by the server")));
  }

  /**
   * Connects and waits for the greeting. `greetingMs` is the time from starting the TCP connect to
   * the complete 220 line: what a client that opens a connection per message pays each time.
   */
  static async open(
    host: string,
    port: number,
    options: { replyTimeoutMs?: number } = {},
  ): Promise<{ connection: SmtpConnection; greeting: SmtpReply; greetingMs: number }> {
    assertLoopback(host);
    const started = performance.now();
    const socket = net.connect({ host, port });
    const connection = new SmtpConnection(socket, options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS);
    const greeting = await connection.readReply();
    const greetingMs = performance.now() - started;
    if (greeting.code !== 220) {
      connection.destroy();
      throw new UnexpectedReplyError("greeting", 220, greeting);
    }
    return { connection, greeting, greetingMs };
  }

  get supportsPipelining(): boolean {
    return this.extensions.has("PIPELINING");
  }

  async ehlo(name = "bench.localhost"): Promise<void> {
    const reply = await this.command(`EHLO ${name}`);
    expectCode("EHLO", 250, reply);
    // The first line is the server's name; the rest are "KEYWORD params".
    this.extensions = new Set(reply.lines.slice(1).map((line) => line.split(" ")[0]?.toUpperCase() ?? ""));
  }

  async command(line: string): Promise<SmtpReply> {
    this.write(line + CRLF);
    return this.readReply();
  }

  /** Sends a raw string (several pipelined commands, or anything a test needs). */
  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /**
   * One mail transaction. `content` must already be dot-stuffed and end with CRLF; the terminating
   * `.` line is added here. Returns the 250 reply and the time from handing the final dot to the
   * kernel to that reply.
   */
  async sendMessage(
    mailFrom: string,
    rcptTo: readonly string[],
    content: readonly Buffer[],
  ): Promise<{ reply: SmtpReply; latencyMs: number }> {
    const envelope = [`MAIL FROM:<${mailFrom}>`, ...rcptTo.map((to) => `RCPT TO:<${to}>`), "DATA"];
    if (this.supportsPipelining) {
      // RFC 2920: MAIL, RCPT and DATA may go in one group; the body waits for the 354.
      this.write(envelope.join(CRLF) + CRLF);
      const replies = await Promise.all(envelope.map(() => this.readReply()));
      envelope.forEach((step, index) => {
        expectCode(step.split(":")[0] ?? step, index === envelope.length - 1 ? 354 : 250, replies[index]);
      });
    } else {
      for (const [index, step] of envelope.entries()) {
        expectCode(
          step.split(":")[0] ?? step,
          index === envelope.length - 1 ? 354 : 250,
          await this.command(step),
        );
      }
    }

    this.#socket.cork();
    for (const part of content) this.#socket.write(part);
    const written = performance.now();
    let flushed: number | null = null;
    // The callback fires once the final dot left for the kernel; for a large body that is
    // later than `written`, and it is the moment the server can start finishing.
    this.#socket.write(`.${CRLF}`, () => {
      flushed = performance.now();
    });
    this.#socket.uncork();
    const reply = await this.readReply();
    const answered = performance.now();
    expectCode("end of DATA", 250, reply);
    const start: number = flushed !== null && flushed <= answered ? flushed : written;
    return { reply, latencyMs: answered - start };
  }

  /** Says QUIT without waiting for the 221: a client that is done does not need it. */
  quit(): void {
    if (this.#failure) return;
    this.#socket.end(`QUIT${CRLF}`);
    this.#failure = new ConnectionLostError("connection closed by the client");
  }

  destroy(): void {
    this.#socket.destroy();
  }

  readReply(): Promise<SmtpReply> {
    const ready = this.#ready.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<SmtpReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.#pending.indexOf(pending);
        if (index >= 0) this.#pending.splice(index, 1);
        reject(new ReplyTimeoutError(`no reply within ${this.#replyTimeoutMs} ms`));
        this.destroy();
      }, this.#replyTimeoutMs);
      const pending: PendingReply = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#pending.push(pending);
    });
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let end = this.#buffer.indexOf("\n");
    while (end >= 0) {
      const line = this.#buffer.slice(0, end).replace(/\r$/, "");
      this.#buffer = this.#buffer.slice(end + 1);
      this.#currentLines.push(line.slice(4));
      // "250-" continues a multi-line reply; "250 " (or a bare "250") ends it.
      if (line[3] !== "-") {
        const reply = { code: Number(line.slice(0, 3)), lines: this.#currentLines };
        this.#currentLines = [];
        const waiter = this.#pending.shift();
        if (waiter) waiter.resolve(reply);
        else this.#ready.push(reply);
      }
      end = this.#buffer.indexOf("\n");
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#pending.splice(0)) waiter.reject(this.#failure);
  }
}

function expectCode(step: string, expected: number, reply: SmtpReply | undefined): void {
  if (!reply) throw new SmtpBenchError(`${step}: no reply`);
  if (reply.code !== expected) throw new UnexpectedReplyError(step, expected, reply);
}
