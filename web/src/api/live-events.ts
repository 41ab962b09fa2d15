import { apiPaths } from "@mailnest/protocol";
import { withToken } from "./http.js";
import { onTokenChange } from "./token.js";
import type { LiveEvent } from "./types.js";

export type ConnectionState = "connecting" | "live" | "offline";

export interface LiveEventsOptions {
  /** Every server frame, parsed. */
  onEvent(event: LiveEvent): void;
  onStateChange(state: ConnectionState): void;
  /**
   * Each time the socket opens. Events that happened before it opened were not seen: the first time,
   * the caller catches up on what arrived since its initial fetch; after a lost connection
   * (`afterLoss`), anything may have changed and it refetches.
   */
  onConnected(afterLoss: boolean): void;
}

/** Back-off between attempts: 0.5 s, 1 s, 2 s, … capped, with jitter so many tabs don't stampede. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;

/**
 * The `/api/events` WebSocket, kept open: it reconnects with back-off after any close, at once when
 * the tab becomes visible or the network returns, and with the new token after the user gives one.
 */
export class LiveEvents {
  readonly #options: LiveEventsOptions;
  #socket: WebSocket | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #attempt = 0;
  #everConnected = false;
  #stopped = true;
  #cleanups: Array<() => void> = [];

  constructor(options: LiveEventsOptions) {
    this.#options = options;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const retryNow = () => {
      if (!this.#socket) this.#connectNow();
    };
    const onVisible = () => {
      if (document.visibilityState === "visible") retryNow();
    };
    window.addEventListener("online", retryNow);
    document.addEventListener("visibilitychange", onVisible);
    this.#cleanups.push(
      () => window.removeEventListener("online", retryNow),
      () => document.removeEventListener("visibilitychange", onVisible),
      onTokenChange(() => {
        this.#socket?.close();
        this.#connectNow();
      }),
    );
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const socket = this.#socket;
    this.#socket = null;
    socket?.close();
  }

  #connectNow(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#attempt = 0;
    this.#connect();
  }

  #connect(): void {
    if (this.#stopped) return;
    this.#options.onStateChange("connecting");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${withToken(apiPaths.events())}`);
    this.#socket = socket;
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#attempt = 0;
      this.#options.onStateChange("live");
      this.#options.onConnected(this.#everConnected);
      this.#everConnected = true;
    };
    socket.onmessage = (message) => {
      if (this.#socket !== socket || typeof message.data !== "string") return;
      let event: LiveEvent;
      try {
        event = JSON.parse(message.data) as LiveEvent;
      } catch {
        return;
      }
      this.#options.onEvent(event);
    };
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (this.#stopped) return;
      this.#options.onStateChange("offline");
      this.#scheduleRetry();
    };
  }

  #scheduleRetry(): void {
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.#attempt);
    this.#attempt += 1;
    const jitter = delay * 0.2 * Math.random();
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connect();
    }, delay + jitter);
  }
}
