import net from "node:net";
import tls from "node:tls";
import { afterEach } from "vitest";
import { defineConfig } from "../config.js";
import { type ImapServer, startImapServer } from "../retrieval/imap/imap-server.js";
import { type Pop3Server, startPop3Server } from "../retrieval/pop3/pop3-server.js";
import type { RetrievalLogin } from "../retrieval/retrieval-deps.js";
import { createRetrievalModel } from "../retrieval/retrieval-model.js";
import { startSmtpListener } from "../smtp/smtp-listener.js";
import { loadTlsCredentials, type TlsCredentials } from "../smtp/tls-credentials.js";
import { queuedId, SmtpTestClient } from "./smtp-test-client.js";
import { createStoreKit } from "./store-kit.js";

export interface RetrievalHarnessOptions {
  /** Offer STARTTLS/STLS and open the implicit-TLS ports. */
  tls?: boolean;
  requireTls?: boolean;
  users?: Map<string, string> | null;
  catchAllLogin?: string;
  imapLimits?: Parameters<typeof startImapServer>[0]["limits"];
  pop3Limits?: Parameters<typeof startPop3Server>[0]["limits"];
}

/**
 * Cleanup for retrieval tests, newest task first after each test. Like `useCleanup` of
 * test-sandbox.ts, without importing the whole sandbox (HTTP API and all) the retrieval servers
 * do not need.
 */
export function useRetrievalCleanup(): (task: () => unknown) => void {
  const tasks: Array<() => unknown> = [];
  afterEach(async () => {
    for (const task of tasks.splice(0).reverse()) await task();
  });
  return (task) => void tasks.push(task);
}

/** Loopback, free ports, quiet: the SMTP side of the harness. */
const smtpConfig = (dataDir: string) =>
  defineConfig({ host: "127.0.0.1", smtpPort: 0, httpPort: 0, dataDir, quiet: true });

/**
 * The parts the retrieval servers need and nothing else: a store on a temp data dir, its bus, an
 * SMTP listener that delivers into it, and the POP3 and IMAP servers started standalone on free
 * loopback ports. Everything is closed by `cleanup`.
 */
export async function startRetrievalHarness(
  cleanup: (task: () => unknown) => void,
  options: RetrievalHarnessOptions = {},
) {
  const kit = createStoreKit();
  cleanup(() => kit.cleanup());
  const dataDir = await kit.tempDir();
  const { store, bus } = await kit.open(dataDir);
  const smtp = await startSmtpListener({ config: smtpConfig(dataDir), store, bus }, { port: 0 });
  cleanup(() => smtp.close());
  const logins: RetrievalLogin[] = [];
  const model = await createRetrievalModel({
    store,
    bus,
    dataDir,
    access: { catchAllLogin: options.catchAllLogin ?? "*", users: options.users ?? null },
    onLogin: (login) => logins.push(login),
  });
  cleanup(() => model.close());
  const credentials: TlsCredentials | null = options.tls
    ? await loadTlsCredentials(smtpConfig(dataDir))
    : null;
  const transport = {
    tls: credentials,
    starttls: options.tls ?? false,
    requireTls: options.requireTls ?? false,
  };
  const common = {
    model,
    transport,
    host: "127.0.0.1",
    port: 0,
    implicitTlsPort: options.tls ? 0 : null,
    hostname: "mailnest.test",
  };
  const imap: ImapServer = await startImapServer({
    ...common,
    ...(options.imapLimits ? { limits: options.imapLimits } : {}),
  });
  cleanup(() => imap.close());
  const pop3: Pop3Server = await startPop3Server({
    ...common,
    ...(options.pop3Limits ? { limits: options.pop3Limits } : {}),
  });
  cleanup(() => pop3.close());
  return {
    store,
    bus,
    dataDir,
    smtpPort: smtp.port,
    model,
    imap,
    pop3,
    logins,
    /** The PEM a client trusts (null without TLS). */
    certificate: credentials?.cert ?? null,
    /** Delivers a message over real SMTP; returns its store id. */
    deliver: (to: string[], raw: Buffer | string, from = "sender@app.test") =>
      deliver(smtp.port, to, raw, from),
  };
}

/** Sends one message over SMTP (a real socket, dot-stuffed); returns the id the store gave it. */
export async function deliver(
  smtpPort: number,
  to: string[],
  raw: Buffer | string,
  from = "sender@app.test",
): Promise<string> {
  const client = await SmtpTestClient.open(smtpPort);
  try {
    const reply = await client.sendMessage({ from, to, raw });
    if (reply.code !== 250) throw new Error(`SMTP refused the message: ${reply.raw}`);
    return queuedId(reply.lines.join(" "));
  } finally {
    await client.quit();
  }
}

/** A message with CRLF line ends. */
export function mail(
  fields: { subject?: string; from?: string; to?: string; body?: string; headers?: string[] } = {},
): string {
  return [
    `From: ${fields.from ?? "App <app@example.test>"}`,
    `To: ${fields.to ?? "user@mailnest.test"}`,
    `Subject: ${fields.subject ?? "Hello"}`,
    "Date: Tue, 01 Jul 2025 10:00:00 +0000",
    `Message-ID: <${Math.random().toString(36).slice(2)}@example.test>`,
    ...(fields.headers ?? []),
    "",
    fields.body ?? "Hello there.",
    "",
  ].join("\r\n");
}

/**
 * A raw-socket line client for IMAP and POP3 tests: bytes in, lines (and literals) out, nothing in
 * between, so a test can send malformed input and read exactly what came back.
 */
export class LineClient {
  #socket: net.Socket;
  #buffer = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  #closed = false;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on("error", () => {});
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.#closed = true;
        for (const wake of this.#waiters.splice(0)) wake();
        resolve();
      }),
    );
  }

  static async connect(port: number, options: { tls?: string } = {}): Promise<LineClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const connected = options.tls
        ? tls.connect({ port, host: "127.0.0.1", ca: options.tls, servername: "localhost" }, () =>
            resolve(connected),
          )
        : net.connect({ port, host: "127.0.0.1" }, () => resolve(connected));
      connected.once("error", reject);
    });
    return new LineClient(socket);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  /** Upgrades to TLS in place (after the server's go-ahead to STARTTLS/STLS). */
  async startTls(ca: string): Promise<void> {
    this.#socket.removeAllListeners("data");
    const secure = tls.connect({ socket: this.#socket, ca, servername: "localhost" });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", resolve);
      secure.once("error", reject);
    });
    secure.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.#socket = secure;
  }

  /** The next line without its CRLF (latin1), or null once the connection closed. */
  async line(timeoutMs = 5_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const newline = this.#buffer.indexOf("\r\n");
      if (newline !== -1) {
        const line = this.#buffer.toString("latin1", 0, newline);
        this.#buffer = this.#buffer.subarray(newline + 2);
        return line;
      }
      if (this.#closed) return null;
      await this.#wait(deadline);
    }
  }

  /** Exactly `count` bytes (a literal's payload). */
  async bytes(count: number, timeoutMs = 5_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.#buffer.length < count) {
      if (this.#closed) throw new Error(`connection closed with ${this.#buffer.length} of ${count} bytes`);
      await this.#wait(deadline);
    }
    const bytes = this.#buffer.subarray(0, count);
    this.#buffer = this.#buffer.subarray(count);
    return bytes;
  }

  /**
   * Sends an IMAP command and reads up to its tagged reply. Literals in the responses are kept in
   * place: the returned text holds them as they were sent.
   */
  async imap(tag: string, command: string, timeoutMs = 5_000): Promise<{ lines: string[]; tagged: string }> {
    this.write(`${tag} ${command}\r\n`);
    return this.readUntilTagged(tag, timeoutMs);
  }

  async readUntilTagged(tag: string, timeoutMs = 5_000): Promise<{ lines: string[]; tagged: string }> {
    const lines: string[] = [];
    for (;;) {
      let line = await this.line(timeoutMs);
      if (line === null) throw new Error(`closed before the reply to ${tag}; got:\n${lines.join("\n")}`);
      for (let literal = /\{(\d+)\}$/.exec(line); literal; literal = /\{(\d+)\}$/.exec(line)) {
        const payload = await this.bytes(Number(literal[1]), timeoutMs);
        line = `${line}\r\n${payload.toString("latin1")}${(await this.line(timeoutMs)) ?? ""}`;
      }
      if (line.startsWith(`${tag} `)) return { lines, tagged: line };
      lines.push(line);
    }
  }

  close(): void {
    this.#socket.destroy();
  }

  #wait(deadline: number): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0)
      return Promise.reject(
        new Error(`timed out; unread: ${JSON.stringify(this.#buffer.toString("latin1").slice(0, 300))}`),
      );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`timed out; unread: ${JSON.stringify(this.#buffer.toString("latin1").slice(0, 300))}`),
          ),
        left,
      );
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
