import { useEffect, useMemo, useState } from "preact/hooks";
import { type ConnectionState, LiveEvents } from "../api/live-events.js";
import type { LiveEvent } from "../api/types.js";

export type FeedSignal = { kind: "event"; event: LiveEvent } | { kind: "connected"; afterLoss: boolean };
export type FeedListener = (signal: FeedSignal) => void;

/** Fans the one WebSocket out to every part of the UI that keeps data fresh. */
export class LiveFeed {
  readonly #listeners = new Set<FeedListener>();

  subscribe(listener: FeedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(signal: FeedSignal): void {
    for (const listener of this.#listeners) listener(signal);
  }
}

export function useLiveFeed(): { feed: LiveFeed; connection: ConnectionState } {
  const feed = useMemo(() => new LiveFeed(), []);
  const [connection, setConnection] = useState<ConnectionState>("connecting");
  useEffect(() => {
    const events = new LiveEvents({
      onEvent: (event) => feed.publish({ kind: "event", event }),
      onStateChange: setConnection,
      onConnected: (afterLoss) => feed.publish({ kind: "connected", afterLoss }),
    });
    events.start();
    return () => events.stop();
  }, [feed]);
  return { feed, connection };
}
