import type net from "node:net";
import tls from "node:tls";
import { drained } from "../../drained.js";
import type { TlsCredentials } from "../../smtp/tls-credentials.js";

/**
 * One client connection of a retrieval server: ordered writes that respect backpressure, an idle
 * timer, and the STARTTLS upgrade (RFC 2595 section 3.1: what the client sent before the
 * handshake is dropped by the caller, never read as if it were protected).
 */
export class Connection {
  #socket: net.Socket;
  #secure: boolean;
  readonly remoteAddress: string;
  #onData: (chunk: Buffer) => void = () => {};
  readonly #closeListeners: Array<() => void> = [];
  #idleMs = 0;
  #onIdle: () => void = () => {};
  #idleTimer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Between the go-ahead to STARTTLS and the end of the handshake: plain-text input is dropped. */
  #dropInput = false;

  constructor(socket: net.Socket, secure: boolean) {
    this.#socket = socket;
    this.#secure = secure;
    this.remoteAddress = socket.remoteAddress ?? "unknown";
    this.#attach(socket);
  }

  get secure(): boolean {
    return this.#secure;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** e.g. "TLSv1.3", or null in plain text. */
  get tlsProtocol(): string | null {
    return this.#socket instanceof tls.TLSSocket ? (this.#socket.getProtocol() ?? null) : null;
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.#onData = listener;
  }

  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#closeListeners.push(listener);
  }

  /**
   * Writes in order; resolves once the socket accepted the bytes without being over its buffer
   * (a slow reader holds the session up instead of filling memory).
   */
  async write(data: string | Buffer | readonly Buffer[]): Promise<void> {
    if (this.#closed) return;
    const chunks =
      typeof data === "string" ? [Buffer.from(data, "latin1")] : Buffer.isBuffer(data) ? [data] : data;
    for (const chunk of chunks) {
      if (this.#closed) return;
      if (!this.#socket.write(chunk)) await drained(this.#socket);
    }
  }

  /** Closes the connection after `onIdle` when nothing is received for `ms` (0 = never). */
  setIdleTimeout(ms: number, onIdle: () => void): void {
    this.#idleMs = ms;
    this.#onIdle = onIdle;
    this.#touch();
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  /**
   * Starts TLS on this connection (STARTTLS / STLS): writes the go-ahead with `sayGoAhead`, then
   * hands the socket to TLS. From the go-ahead until the handshake is done, whatever arrives in plain
   * text is dropped (RFC 2595 section 3.1; CVE-2011-0411 was servers that kept it). Resolves once
   * the handshake is done; rejects when it fails.
   */
  async startTls(credentials: TlsCredentials, sayGoAhead: () => Promise<void>): Promise<void> {
    this.#dropInput = true;
    await sayGoAhead();
    const plain = this.#socket;
    plain.removeAllListeners("data");
    const secure = new tls.TLSSocket(plain, {
      isServer: true,
      secureContext: tls.createSecureContext({ key: credentials.key, cert: credentials.cert }),
    });
    this.#socket = secure;
    await new Promise<void>((resolve, reject) => {
      secure.once("secure", () => {
        // Synchronously: application data may follow the handshake in the same read.
        this.#dropInput = false;
        this.#secure = true;
        resolve();
      });
      secure.once("close", () => reject(new Error("connection closed during the TLS handshake")));
      secure.once("error", reject);
      this.#attach(secure);
    });
  }

  /** Flushes what was written, then closes. */
  end(): void {
    if (this.#closed) return;
    this.#socket.end();
    // A client that never reads its last bytes must not keep the socket open.
    setTimeout(() => this.destroy(), 2_000).unref();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #attach(socket: net.Socket): void {
    socket.on("data", (chunk: Buffer) => {
      this.#touch();
      if (!this.#dropInput) this.#onData(chunk);
    });
    socket.on("error", () => {
      // "close" follows; a reset by the client is no concern of the server's.
    });
    socket.once("close", () => {
      if (this.#socket !== socket || this.#closed) return;
      this.#closed = true;
      if (this.#idleTimer) clearTimeout(this.#idleTimer);
      for (const listener of this.#closeListeners.splice(0)) listener();
    });
  }

  #touch(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    if (this.#idleMs > 0 && !this.#closed) {
      this.#idleTimer = setTimeout(() => this.#onIdle(), this.#idleMs);
      this.#idleTimer.unref();
    }
  }
}
