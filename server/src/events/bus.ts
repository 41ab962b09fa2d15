import { EventEmitter } from "node:events";
import type { MessageSummary } from "@mailnest/protocol";

/**
 * What the store announces. The store emits; the WebSocket hub, the wait registry and metrics
 * listen. Nothing here knows about sockets or HTTP.
 */
export interface MailnestEvents {
  /**
   * `message` (here and in `message.updated`) may be a store index's own summary, which the index
   * changes in place later (`read`, `inboxes`): PostgreSQL's replica sends its own; the embedded
   * store sends copies, since its index keeps no snippets. A listener that keeps it past its own
   * turn, to send later, keeps a shallow copy (as the webhooks' queue does).
   */
  "message.stored": { message: MessageSummary };
  "message.updated": { message: MessageSummary };
  "message.deleted": { id: string; inboxes: string[] };
  "inbox.created": { address: string };
  "inbox.cleared": { address: string };
  "inbox.deleted": { address: string };
  // Announced by the SMTP layer, for metrics and logs.
  "smtp.connection.opened": { remoteAddress: string };
  "smtp.connection.closed": { remoteAddress: string };
  /** A message or command answered with a 4xx/5xx; `reason` is a short stable slug (e.g. "size", "recipients", "storage", "fault", "auth"). */
  "smtp.rejected": { reason: string; code: number };
  /** A message answered 250; `ingestMs` is end-of-DATA → 250. */
  "smtp.accepted": { bytes: number; ingestMs: number };
  /**
   * A message received over SMTP is stored and about to be answered 250, with what its sender asked
   * of delivery reports. The reports after acceptance (`after-acceptance/`) start here.
   */
  "smtp.stored": { id: string; dsn: DsnRequest };
}

/** What the SMTP client asked of delivery status notifications (RFC 3461 section 4), as it sent it. */
export interface DsnRequest {
  /** `RET=`: return the full message or only its header in a failure report; null when not given. */
  ret: "FULL" | "HDRS" | null;
  /** `ENVID=` (xtext decoded), or null. */
  envid: string | null;
  /** Per RCPT TO, in order: `NOTIFY=` values (null when not given) and `ORCPT=` (or null). */
  recipients: Array<{ address: string; notify: string[] | null; orcpt: string | null }>;
}

export type MailnestEventName = keyof MailnestEvents;

/**
 * Where a change was made. With one process it is always "here". With several instances on one
 * PostgreSQL database (docs/scaling.md), each instance also announces what the others committed,
 * learned from the change log: "elsewhere". Listeners that keep a per-instance view (WebSockets,
 * waits, IDLE, metrics) take both; those with an effect outside the sandbox (webhooks, auto-relay)
 * act only on "here", so N instances deliver once, not N times.
 */
export type EventOrigin = "here" | "elsewhere";

/** What the bus says about an event beside its payload (kept out of the payload, which some listeners forward as is). */
export interface EventMeta {
  origin: EventOrigin;
}

const HERE: EventMeta = Object.freeze({ origin: "here" });

/** A typed, synchronous event bus. Listeners must not throw; a throwing listener is logged and skipped. */
export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Every waiter and socket may subscribe; the default cap of 10 is a leak detector for apps, not for us.
    this.#emitter.setMaxListeners(0);
  }

  on<K extends MailnestEventName>(
    name: K,
    listener: (event: MailnestEvents[K], meta: EventMeta) => void,
  ): () => void {
    const safe = (event: MailnestEvents[K], meta: EventMeta) => {
      try {
        listener(event, meta);
      } catch (error) {
        console.error(`mailnest: a "${name}" listener failed:`, error);
      }
    };
    this.#emitter.on(name, safe);
    return () => this.#emitter.off(name, safe);
  }

  /** `meta` defaults to `{ origin: "here" }`: only a replica of other instances' changes says otherwise. */
  emit<K extends MailnestEventName>(name: K, event: MailnestEvents[K], meta: EventMeta = HERE): void {
    this.#emitter.emit(name, event, meta);
  }

  listenerCount(name: MailnestEventName): number {
    return this.#emitter.listenerCount(name);
  }
}
