import type { MailnestConfig } from "../config.js";
import type { FaultStore } from "../faults/fault-store.js";
import type { MessageStore } from "../store/message-store.js";
import type { WaitRegistry } from "../waits/wait-registry.js";

/** What `GET /metrics` serves; the metrics module provides it. */
export interface MetricsSource {
  /** Prometheus text exposition format 0.0.4. */
  render(): string;
}

export interface ApiDeps {
  config: MailnestConfig;
  store: MessageStore;
  /** Absent: `GET /metrics` answers 404. */
  metrics?: MetricsSource | undefined;
  /** The SMTP listener's fault rules. Absent: the `/api/faults` routes answer 404. */
  faults?: FaultStore | undefined;
  /** The long-poll waits (made once, by whoever composes the server: `sandbox.ts`). */
  waits: WaitRegistry;
}
