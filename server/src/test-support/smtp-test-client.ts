import net from "node:net";

/** One SMTP reply; multi-line replies (EHLO) keep every line's text. */
export interface SmtpReply {
  code: number;
  /** Text of each line after the code and separator, e.g. ["mailnest.test Nice to meet you", "PIPELINING", …]. */
  lines: string[];
  /** The reply as received, lines joined with "\n" (handy in assertion messages). */
  raw: string;
}

export interface MessageToSend {
  from: string;
  to: string[];
  /** The message as the client means it: CRLF line endings, ending in CRLF. Dot-stuffed on the wire. */
  raw: Buffer | string;
  /** Extra MAIL FROM parameters, e.g. "SIZE=123". */
  mailParams?: string;
}

/**
 * A raw-socket SMTP client for tests: no library between the test and the bytes on the wire, so a
 * test can pipeline, send malformed input, or vanish mid-DATA. Replies are read strictly in order.
 */
export class SmtpTestClient {
  readonly #socket: net.Socket;
  #buffer = "";
  readonly #replies: SmtpReply[] = [];
  readonly #waiting: Array<{ resolve: (reply: SmtpReply) => void; reject: (error: Error) => void }> = [];
  #ended = false;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk.toString("latin1")));
    this.closed = new Promise((resolve) => {
      socket.once("close", () => {
        this.#ended = true;
        for (const waiter of this.#waiting.splice(0)) {
          waiter.reject(
            new Error(`connection closed while waiting for a reply (last data: ${this.#buffer})`),
          );
        }
        resolve();
      });
    });
    socket.on("error", () => {
      // "close" follows and rejects whoever waits; a reset by the server is a legitimate test outcome.
    });
  }

  /** Connects and reads the 220 greeting. */
  static async connect(
    port: number,
    host = "127.0.0.1",
  ): Promise<{ client: SmtpTestClient; greeting: SmtpReply }> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const connecting = net.connect({ port, host }, () => {
        connecting.off("error", reject);
        resolve(connecting);
      });
      connecting.once("error", reject);
    });
    const client = new SmtpTestClient(socket);
    const greeting = await client.readReply();
    return { client, greeting };
  }

  /** Connects, reads the greeting and says EHLO; fails unless both succeed. */
  static async open(port: number, heloName = "client.test"): Promise<SmtpTestClient> {
    const { client, greeting } = await SmtpTestClient.connect(port);
    expectCode(greeting, 220);
    expectCode(await client.command(`EHLO ${heloName}`), 250);
    return client;
  }

  /** Writes bytes as they are: no CRLF added, no dot-stuffing. */
  write(data: Buffer | string): void {
    this.#socket.write(typeof data === "string" ? Buffer.from(data, "utf8") : data);
  }

  /** Sends one command line and reads its reply. */
  async command(line: string): Promise<SmtpReply> {
    this.write(`${line}\r\n`);
    return this.readReply();
  }

  readReply(): Promise<SmtpReply> {
    const ready = this.#replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#ended) return Promise.reject(new Error("connection is closed"));
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  async readReplies(count: number): Promise<SmtpReply[]> {
    const replies: SmtpReply[] = [];
    for (let i = 0; i < count; i++) replies.push(await this.readReply());
    return replies;
  }

  /**
   * One whole transaction, command by command. Returns the reply to the final dot (or the first
   * failing reply before it).
   */
  async sendMessage(message: MessageToSend): Promise<SmtpReply> {
    const mail = await this.command(
      `MAIL FROM:<${message.from}>${message.mailParams ? ` ${message.mailParams}` : ""}`,
    );
    if (mail.code !== 250) return mail;
    for (const recipient of message.to) {
      const rcpt = await this.command(`RCPT TO:<${recipient}>`);
      if (rcpt.code !== 250) return rcpt;
    }
    const data = await this.command("DATA");
    if (data.code !== 354) return data;
    this.write(Buffer.concat([dotStuff(toBuffer(message.raw)), Buffer.from(".\r\n")]));
    return this.readReply();
  }

  /** QUIT, then wait for the server to close. */
  async quit(): Promise<void> {
    if (this.#ended) return;
    this.write("QUIT\r\n");
    await this.readReply().catch(() => undefined);
    this.#socket.end();
    await this.closed;
  }

  /** Drops the connection without a word (a client that vanished). */
  destroy(): void {
    this.#socket.destroy();
  }

  #onData(text: string): void {
    this.#buffer += text;
    for (;;) {
      const reply = this.#takeReply();
      if (!reply) return;
      const waiter = this.#waiting.shift();
      if (waiter) waiter.resolve(reply);
      else this.#replies.push(reply);
    }
  }

  /** Removes one complete reply from the buffer: lines "250-…" continue it, "250 …" ends it. */
  #takeReply(): SmtpReply | null {
    const lines: string[] = [];
    let offset = 0;
    for (;;) {
      const end = this.#buffer.indexOf("\r\n", offset);
      if (end === -1) return null;
      const line = this.#buffer.slice(offset, end);
      offset = end + 2;
      lines.push(line);
      if (line.charAt(3) !== "-") break;
    }
    this.#buffer = this.#buffer.slice(offset);
    const code = Number(lines[0]?.slice(0, 3));
    return {
      code,
      lines: lines.map((line) => Buffer.from(line.slice(4), "latin1").toString("utf8")),
      raw: Buffer.from(lines.join("\n"), "latin1").toString("utf8"),
    };
  }
}

/** RFC 5321 section 4.5.2: a line starting with "." is sent with one more "." in front. */
export function dotStuff(raw: Buffer): Buffer {
  const text = raw.toString("latin1");
  const stuffed = (text.startsWith(".") ? "." : "") + text.replaceAll("\n.", "\n..");
  return Buffer.from(stuffed, "latin1");
}

export function expectCode(reply: SmtpReply, code: number): void {
  if (reply.code !== code) throw new Error(`expected SMTP ${code}, got: ${reply.raw}`);
}

function toBuffer(raw: Buffer | string): Buffer {
  return typeof raw === "string" ? Buffer.from(raw, "utf8") : raw;
}

/** The stored message id in a 250 reply ("… queued as <id>"), as a client sees it. */
export function queuedId(replyText: string): string {
  const match = /queued as ([0-9a-z]{26})/.exec(replyText);
  if (!match?.[1]) throw new Error(`no message id in ${JSON.stringify(replyText)}`);
  return match[1];
}
