import type { StoredMessage } from "@mailnest/protocol";
import type { HttpClient } from "../http/http-client.js";
import { Message } from "../message/message.js";
import { ServerClockOffset } from "./server-clock.js";

/** What every handle of one `Mailnest` client shares. */
export class ClientContext {
  readonly http: HttpClient;
  readonly defaultTimeout: number;
  readonly maxRequestWait: number;
  /** The server clock's offset to this process's, measured when a `nextMessage()` first needs it. */
  readonly clock: ServerClockOffset;
  #knownHead = 0;

  constructor(http: HttpClient, defaults: { timeout: number; maxRequestWait: number }) {
    this.http = http;
    this.clock = new ServerClockOffset(http);
    this.defaultTimeout = defaults.timeout;
    this.maxRequestWait = defaults.maxRequestWait;
  }

  /**
   * The highest store head any answer has reported. Every message up to it had arrived before
   * that answer, so a wait armed later can start after it without missing anything new.
   */
  get knownHead(): number {
    return this.#knownHead;
  }

  observeHead(head: unknown): void {
    if (typeof head === "number" && Number.isSafeInteger(head) && head > this.#knownHead)
      this.#knownHead = head;
  }

  toMessage(data: StoredMessage): Message {
    return new Message(data, this.http);
  }
}
