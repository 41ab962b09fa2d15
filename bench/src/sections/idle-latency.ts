import net from "node:net";
import { performance } from "node:perf_hooks";
import { textMessage } from "../smtp/message-factory.js";
import { assertLoopback, SmtpConnection } from "../smtp/smtp-connection.js";
import { median, summarize } from "../stats.js";
import { type SectionContext, type SectionResult, scaled, withServer } from "./section.js";

const MESSAGE = textMessage(2 * 1024);
const TIME_CAP_MS = 60_000;
const EXISTS_TIMEOUT_MS = 5_000;
const INBOX = "idle@bench.localhost";

/**
 * Issue 13's live retrieval: a client idling on an inbox (IMAP IDLE, RFC 2177) must hear
 * `* n EXISTS` within 100 ms of the 250 that stored a message for it. Timed from the 250 the
 * sender reads to the EXISTS line the idling client reads; the store announces before the 250 is
 * written, so the EXISTS often comes first (counted, and clamped at 0).
 */
export async function runIdleLatency(context: SectionContext): Promise<SectionResult> {
  const count = scaled(context, 300, 30);
  context.log(`retrieval: ${count} messages to an inbox an IMAP client idles on`);
  const samples: number[] = [];
  /** EXISTS time minus 250 time, unclamped: negative when the idling client heard first. */
  const offsets: number[] = [];
  let beforeThe250 = 0;
  await withServer(await context.startMailnest({ imapPort: 0 }), async (server) => {
    const apiUrl = server.apiUrl ?? "";
    const health = (await (await fetch(`${apiUrl}/api/health`)).json()) as { imap?: { port: number | null } };
    const imapPort = health.imap?.port;
    if (typeof imapPort !== "number")
      throw new Error("the server under test reports no IMAP port in /api/health");
    const imap = await IdlingClient.open(server.smtp.host, imapPort, INBOX);
    const { connection } = await SmtpConnection.open(server.smtp.host, server.smtp.port);
    await connection.ehlo();
    try {
      const deadline = performance.now() + TIME_CAP_MS;
      for (let i = 0; i < count && performance.now() < deadline; i += 1) {
        const exists = imap.nextExists(EXISTS_TIMEOUT_MS);
        await connection.sendMessage("sender@bench.localhost", [INBOX], MESSAGE.render(i, INBOX));
        const okAt = performance.now();
        const latency = (await exists) - okAt;
        if (latency < 0) beforeThe250 += 1;
        offsets.push(latency);
        samples.push(Math.max(0, latency));
      }
    } finally {
      connection.quit();
      imap.close();
    }
  });
  const summary = summarize(samples);
  const note = `${samples.length} messages${beforeThe250 ? `, ${beforeThe250} EXISTS before the 250` : ""}`;
  return {
    rows: [
      {
        section: "retrieval",
        metric: "250 → IMAP IDLE `* n EXISTS`, p50",
        value: summary.p50,
        unit: "ms",
        note,
        target: { op: "<", value: 100 },
      },
      {
        section: "retrieval",
        metric: "250 → IMAP IDLE `* n EXISTS`, p99",
        value: summary.p99,
        unit: "ms",
        target: { op: "<", value: 100 },
      },
      {
        section: "retrieval",
        metric: "EXISTS read minus 250 read, median (negative: EXISTS first)",
        value: median(offsets),
        unit: "ms",
      },
    ],
    details: { idle: { ...summary, existsBeforeThe250: beforeThe250, offsetMedianMs: median(offsets) } },
  };
}

/** A bare IMAP client: logs in, selects INBOX, idles, and timestamps each `* n EXISTS` line. */
class IdlingClient {
  readonly #socket: net.Socket;
  #buffer = "";
  readonly #lines: Array<{ line: string; at: number }> = [];
  #wake: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      const at = performance.now();
      this.#buffer += chunk;
      for (let end = this.#buffer.indexOf("\r\n"); end !== -1; end = this.#buffer.indexOf("\r\n")) {
        this.#lines.push({ line: this.#buffer.slice(0, end), at });
        this.#buffer = this.#buffer.slice(end + 2);
      }
      this.#wake?.();
    });
    socket.on("error", () => {});
  }

  static async open(host: string, port: number, user: string): Promise<IdlingClient> {
    assertLoopback(host);
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const connecting = net.connect({ host, port }, () => resolve(connecting));
      connecting.once("error", reject);
    });
    socket.setNoDelay(true);
    const client = new IdlingClient(socket);
    await client.#until((line) => line.startsWith("* OK"));
    client.#socket.write(`a LOGIN ${user} bench\r\n`);
    await client.#until((line) => line.startsWith("a OK"));
    client.#socket.write("b SELECT INBOX\r\n");
    await client.#until((line) => line.startsWith("b OK"));
    client.#socket.write("c IDLE\r\n");
    await client.#until((line) => line.startsWith("+"));
    return client;
  }

  /** When the next `* n EXISTS` line arrived (performance.now()). */
  async nextExists(timeoutMs: number): Promise<number> {
    return (await this.#until((line) => /^\* \d+ EXISTS$/.test(line), timeoutMs)).at;
  }

  close(): void {
    this.#socket.end("DONE\r\nd LOGOUT\r\n");
    setTimeout(() => this.#socket.destroy(), 1_000).unref();
  }

  async #until(
    test: (line: string) => boolean,
    timeoutMs = EXISTS_TIMEOUT_MS,
  ): Promise<{ line: string; at: number }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.#lines.findIndex((entry) => test(entry.line));
      if (index !== -1) {
        const [found] = this.#lines.splice(0, index + 1).slice(-1);
        return found!;
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`IMAP: no expected line within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }
}
