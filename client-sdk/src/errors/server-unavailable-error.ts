import { isBrandedError } from "./brand.js";
import { ConnectionError, type ConnectionErrorDetails } from "./connection-error.js";

export interface ServerUnavailableDetails extends ConnectionErrorDetails {
  /** When the server first said it was shutting down (`503 shutting_down`) in this outage, or null. */
  shuttingDownAt: Date | null;
  /**
   * When the server first said its storage could not be reached (`503 storage_unavailable`: the
   * PostgreSQL database of a multi-instance sandbox is down or restarting) in this outage, or null.
   */
  storageUnavailableSince: Date | null;
  /** When the first request of this outage failed to get an answer, or null if every one got a 503. */
  unreachableSince: Date | null;
  /** How many requests were made before giving up. */
  attempts: number;
}

/**
 * A wait or an idempotent call retried through a server restart (refused or broken connections,
 * `503 shutting_down`, `503 storage_unavailable`) until its own deadline, and the server did not come back in time. The
 * message says why: what the server said, since when it was unreachable, and the last error
 * (also the `cause`).
 */
export class ServerUnavailableError extends ConnectionError {
  override name = "ServerUnavailableError";
  readonly shuttingDownAt: Date | null;
  readonly storageUnavailableSince: Date | null;
  readonly unreachableSince: Date | null;
  readonly attempts: number;

  constructor(message: string, details: ServerUnavailableDetails) {
    super(message, details);
    this.shuttingDownAt = details.shuttingDownAt;
    this.storageUnavailableSince = details.storageUnavailableSince;
    this.unreachableSince = details.unreachableSince;
    this.attempts = details.attempts;
  }
}

export function isServerUnavailableError(value: unknown): value is ServerUnavailableError {
  return isBrandedError(value, ["ServerUnavailableError"]);
}
