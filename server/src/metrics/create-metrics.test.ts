import { describe, expect, it } from "vitest";
import { EventBus } from "../events/bus.js";
import { createMetrics } from "./create-metrics.js";

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("createMetrics", () => {
  it("counts accepted messages, their bytes and their ingest latency from bus events", () => {
    const bus = new EventBus();
    const metrics = createMetrics(bus);
    bus.emit("smtp.accepted", { bytes: 2048, ingestMs: 3 });
    bus.emit("smtp.accepted", { bytes: 1000, ingestMs: 40 });
    const text = metrics.render();
    expect(sample(text, "mailnest_messages_received_total")).toBe(2);
    expect(sample(text, "mailnest_received_bytes_total")).toBe(3048);
    expect(sample(text, 'mailnest_ingest_duration_seconds_bucket{le="0.005"}')).toBe(1);
    expect(sample(text, 'mailnest_ingest_duration_seconds_bucket{le="0.05"}')).toBe(2);
    expect(sample(text, "mailnest_ingest_duration_seconds_count")).toBe(2);
    expect(sample(text, "mailnest_ingest_duration_seconds_sum")).toBeCloseTo(0.043, 6);
  });

  it("counts rejections per reason and reply code", () => {
    const bus = new EventBus();
    const metrics = createMetrics(bus);
    bus.emit("smtp.rejected", { reason: "size", code: 552 });
    bus.emit("smtp.rejected", { reason: "size", code: 552 });
    bus.emit("smtp.rejected", { reason: "recipients", code: 452 });
    const text = metrics.render();
    expect(sample(text, 'mailnest_rejected_total{reason="size",code="552"}')).toBe(2);
    expect(sample(text, 'mailnest_rejected_total{reason="recipients",code="452"}')).toBe(1);
  });

  it("tracks open SMTP connections", () => {
    const bus = new EventBus();
    const metrics = createMetrics(bus);
    bus.emit("smtp.connection.opened", { remoteAddress: "127.0.0.1" });
    bus.emit("smtp.connection.opened", { remoteAddress: "127.0.0.1" });
    bus.emit("smtp.connection.closed", { remoteAddress: "127.0.0.1" });
    expect(sample(metrics.render(), "mailnest_smtp_connections_active")).toBe(1);
  });

  it("samples store size and waiters from their owners at scrape time", () => {
    const bus = new EventBus();
    let stored = 5;
    const metrics = createMetrics(bus, { storedMessages: () => stored, activeWaiters: () => 3 });
    metrics.registerGauge("mailnest_custom", "A gauge added by another layer.", () => 11);
    stored = 6;
    const text = metrics.render();
    expect(sample(text, "mailnest_store_messages")).toBe(6);
    expect(sample(text, "mailnest_waiters_active")).toBe(3);
    expect(sample(text, "mailnest_custom")).toBe(11);
  });

  it("stops counting after close", () => {
    const bus = new EventBus();
    const metrics = createMetrics(bus);
    metrics.close();
    metrics.close();
    bus.emit("smtp.accepted", { bytes: 1, ingestMs: 1 });
    expect(sample(metrics.render(), "mailnest_messages_received_total")).toBe(0);
    expect(bus.listenerCount("smtp.accepted")).toBe(0);
  });
});
