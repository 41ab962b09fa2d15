import type { EventBus } from "../events/bus.js";
import { PrometheusRegistry } from "./prometheus-registry.js";

/** End-of-DATA → 250 latency bounds in seconds: fsync on a laptop SSD sits around 1–10 ms, a 25 MB message near 1 s. */
export const INGEST_DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

export interface Metrics {
  /** The Prometheus text exposition served at `GET /metrics`. */
  render(): string;
  /** Adds a gauge read at scrape time (waiters, stored messages, …). The name must be new. */
  registerGauge(name: string, help: string, read: () => number): void;
  /** Stops listening to the bus. Idempotent. */
  close(): void;
}

/** Values only their owners can read, sampled at scrape time. */
export interface MetricSources {
  /** Messages in the store (`mailnest_store_messages`). */
  storedMessages?: () => number;
  /** Long-poll waits being held open (`mailnest_waiters_active`). */
  activeWaiters?: () => number;
}

/** Counts what the SMTP layer and the store announce on the bus; nothing calls into metrics directly. */
export function createMetrics(bus: EventBus, sources: MetricSources = {}): Metrics {
  const registry = new PrometheusRegistry();
  const received = registry.counter(
    "mailnest_messages_received_total",
    "Messages accepted over SMTP (answered 250 after they were stored).",
  );
  const receivedBytes = registry.counter(
    "mailnest_received_bytes_total",
    "Raw bytes of the messages accepted over SMTP.",
  );
  const rejected = registry.counter(
    "mailnest_rejected_total",
    "SMTP commands or messages answered with a 4xx/5xx, by reason and reply code.",
    ["reason", "code"],
  );
  const ingestDuration = registry.histogram(
    "mailnest_ingest_duration_seconds",
    "Time from the end of DATA to the 250 reply (stream to disk, fsync, parse, index).",
    INGEST_DURATION_BUCKETS,
  );
  const connections = registry.gauge("mailnest_smtp_connections_active", "Open SMTP connections.");

  if (sources.storedMessages) {
    registry.gauge("mailnest_store_messages", "Messages in the store.", sources.storedMessages);
  }
  if (sources.activeWaiters) {
    registry.gauge("mailnest_waiters_active", "HTTP long-poll waits being held open.", sources.activeWaiters);
  }

  const unsubscribes = [
    bus.on("smtp.accepted", ({ bytes, ingestMs }) => {
      received.inc();
      receivedBytes.inc({}, bytes);
      ingestDuration.observe(ingestMs / 1000);
    }),
    bus.on("smtp.rejected", ({ reason, code }) => rejected.inc({ reason, code: String(code) })),
    bus.on("smtp.connection.opened", () => connections.inc()),
    bus.on("smtp.connection.closed", () => connections.dec()),
  ];

  return {
    render: () => registry.render(),
    registerGauge: (name, help, read) => {
      registry.gauge(name, help, read);
    },
    close: () => {
      for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
    },
  };
}
