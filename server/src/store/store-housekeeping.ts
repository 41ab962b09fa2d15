import { DeadlineTimer } from "./deadline-timer.js";
import { messagesToPrune, nextAgeDeadline, type RetentionPolicy } from "./retention.js";
import type { StoreInboxes } from "./store-inboxes.js";
import type { StoreParts } from "./store-parts.js";
import type { StoreRemoval } from "./store-removal.js";

/**
 * Retention (`maxMessages`, `maxAgeMs`) and inbox TTLs, on one timer armed for the earliest deadline.
 * (Sidecars are repaired where they are read: `recover-sidecar.ts`.)
 */
export class StoreHousekeeping {
  readonly #parts: StoreParts;
  readonly #policy: RetentionPolicy;
  readonly #removal: StoreRemoval;
  readonly #inboxes: Pick<StoreInboxes, "deleteInbox">;
  readonly #timer = new DeadlineTimer(() => this.sweep());

  constructor(
    parts: StoreParts,
    policy: RetentionPolicy,
    removal: StoreRemoval,
    inboxes: Pick<StoreInboxes, "deleteInbox">,
  ) {
    this.#parts = parts;
    this.#policy = policy;
    this.#removal = removal;
    this.#inboxes = inboxes;
  }

  /** Age retention and inbox TTLs; runs at startup and whenever the earliest deadline passes. */
  sweep(): void {
    const { index, tasks } = this.#parts;
    const now = Date.now();
    let nextDeadline: number | null = null;
    for (const registration of index.registrations()) {
      if (registration.expiresAt === null) continue;
      const expiresAt = Date.parse(registration.expiresAt);
      if (expiresAt <= now) {
        tasks.track(this.#inboxes.deleteInbox(registration.address));
      } else if (nextDeadline === null || expiresAt < nextDeadline) {
        nextDeadline = expiresAt;
      }
    }
    this.#prune(now);
    this.#timer.schedule(nextDeadline);
    this.#timer.schedule(nextAgeDeadline(index.oldest(), this.#policy));
  }

  /** A message was stored: the oldest may now be one too many, and the age deadline may be new. */
  afterStored(): void {
    this.#prune(Date.now());
    this.#timer.schedule(nextAgeDeadline(this.#parts.index.oldest(), this.#policy));
  }

  /** An inbox expires at `expiresAt` (ISO-8601), or never (null). */
  inboxExpires(expiresAt: string | null): void {
    if (expiresAt !== null) this.#timer.schedule(Date.parse(expiresAt));
  }

  stop(): void {
    this.#timer.stop();
  }

  #prune(now: number): void {
    for (const summary of messagesToPrune(this.#parts.index.all(), this.#policy, now)) {
      this.#removal.discard(summary);
    }
  }
}
