import WebSocket from "ws";
import type { ApiHarness } from "./api-harness.js";

/* Clients of `/api/events` for the tests of the event hub and of the upgrade checks in front of it. */

export interface Frame {
  type: string;
  data: Record<string, unknown> & { message?: { subject: string; inboxes: string[] } };
}

/** A connected client that queues every frame it receives, so a test can take them in order. */
export class EventClient {
  readonly frames: Frame[] = [];
  readonly #waiting: ((frame: Frame) => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      const waiter = this.#waiting.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    });
  }

  static async connect(
    cleanup: (task: () => unknown) => void,
    url: string,
    options: WebSocket.ClientOptions = {},
  ): Promise<EventClient> {
    const socket = new WebSocket(url, options);
    cleanup(() => socket.terminate());
    const client = new EventClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return client;
  }

  next(): Promise<Frame> {
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no frame within 10 s")), 10_000);
      this.#waiting.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  /** The next frame of one of `types`, skipping others (heartbeats, inbox events). */
  async nextOf(...types: string[]): Promise<Frame> {
    for (let skipped = 0; skipped < 100; skipped++) {
      const frame = await this.next();
      if (types.includes(frame.type)) return frame;
    }
    throw new Error(`no ${types.join("/")} frame among 100`);
  }

  async subscribe(inboxes: string[] | "*"): Promise<Frame> {
    this.socket.send(JSON.stringify({ type: "subscribe", data: { inboxes } }));
    return this.nextOf("subscribed", "error");
  }
}

export function wsUrl(api: ApiHarness, path = "/api/events"): string {
  return `${api.url.replace(/^http/, "ws")}${path}`;
}

/** The HTTP status of a refused upgrade. */
export function refusedStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("open", () => {
      socket.terminate();
      reject(new Error("the upgrade was accepted"));
    });
    socket.once("error", () => {});
  });
}
