import { EventEmitter } from "node:events";
import type { MessageSummary } from "../store/model.js";

/**
 * What the store announces. The store emits; the WebSocket hub, the wait registry and metrics
 * listen. Nothing here knows about sockets or HTTP.
 */
export interface MailnestEvents {
  "message.stored": { message: MessageSummary };
  "message.updated": { message: MessageSummary };
  "message.deleted": { id: string; inboxes: string[] };
  "inbox.created": { address: string };
  "inbox.cleared": { address: string };
  "inbox.deleted": { address: string };
}

export type MailnestEventName = keyof MailnestEvents;

/** A typed, synchronous event bus. Listeners must not throw; a throwing listener is logged and skipped. */
export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Every waiter and socket may subscribe; the default cap of 10 is a leak detector for apps, not for us.
    this.#emitter.setMaxListeners(0);
  }

  on<K extends MailnestEventName>(name: K, listener: (event: MailnestEvents[K]) => void): () => void {
    const safe = (event: MailnestEvents[K]) => {
      try {
        listener(event);
      } catch (error) {
        console.error(`mailnest: a "${name}" listener failed:`, error);
      }
    };
    this.#emitter.on(name, safe);
    return () => this.#emitter.off(name, safe);
  }

  emit<K extends MailnestEventName>(name: K, event: MailnestEvents[K]): void {
    this.#emitter.emit(name, event);
  }

  listenerCount(name: MailnestEventName): number {
    return this.#emitter.listenerCount(name);
  }
}
