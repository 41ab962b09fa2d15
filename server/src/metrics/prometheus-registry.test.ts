import { describe, expect, it } from "vitest";
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  MetricDefinitionError,
  PrometheusRegistry,
} from "./prometheus-registry.js";

describe("Prometheus text format", () => {
  it("renders a counter with HELP and TYPE lines and a trailing line feed", () => {
    const registry = new PrometheusRegistry();
    const counter = registry.counter("jobs_total", "Jobs done.");
    counter.inc();
    counter.inc({}, 2);
    expect(registry.render()).toBe("# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 3\n");
  });

  it("exposes an unlabelled counter as 0 before its first event", () => {
    const registry = new PrometheusRegistry();
    registry.counter("jobs_total", "Jobs done.");
    expect(registry.render()).toContain("\njobs_total 0\n");
  });

  it("keeps one series per label set, labels in declaration order", () => {
    const registry = new PrometheusRegistry();
    const counter = registry.counter("rejected_total", "Rejected.", ["reason", "code"]);
    counter.inc({ code: "552", reason: "size" });
    counter.inc({ reason: "size", code: "552" });
    counter.inc({ reason: "recipients", code: "452" });
    const lines = registry.render().split("\n");
    expect(lines).toContain('rejected_total{reason="size",code="552"} 2');
    expect(lines).toContain('rejected_total{reason="recipients",code="452"} 1');
  });

  it("escapes backslash, double quote and line feed in label values", () => {
    const registry = new PrometheusRegistry();
    registry.counter("odd_total", "Odd.", ["path"]).inc({ path: 'C:\\mail\n"x"' });
    expect(registry.render()).toContain('odd_total{path="C:\\\\mail\\n\\"x\\""} 1');
    expect(escapeLabelValue('a"b')).toBe('a\\"b');
  });

  it("escapes backslash and line feed in HELP but leaves quotes alone", () => {
    expect(escapeHelp('one\\two\nthree "q"')).toBe('one\\\\two\\nthree "q"');
  });

  it("spells special floats the Prometheus way", () => {
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe("+Inf");
    expect(formatValue(Number.NEGATIVE_INFINITY)).toBe("-Inf");
    expect(formatValue(Number.NaN)).toBe("NaN");
    expect(formatValue(0.25)).toBe("0.25");
  });

  it("reads a callback gauge at render time", () => {
    const registry = new PrometheusRegistry();
    let depth = 1;
    registry.gauge("queue_depth", "Depth.", () => depth);
    expect(registry.render()).toContain("\nqueue_depth 1\n");
    depth = 7;
    expect(registry.render()).toContain("\nqueue_depth 7\n");
  });

  it("leaves out the sample of a gauge whose callback throws, and renders the rest", () => {
    const registry = new PrometheusRegistry();
    registry.gauge("broken", "Broken.", () => {
      throw new Error("source gone");
    });
    registry.gauge("fine", "Fine.").set(2);
    const original = console.error;
    console.error = () => {};
    try {
      const text = registry.render();
      expect(text).not.toMatch(/^broken /m);
      expect(text).toContain("# TYPE broken gauge");
      expect(text).toContain("\nfine 2\n");
    } finally {
      console.error = original;
    }
  });

  it("renders cumulative histogram buckets, +Inf, sum and count", () => {
    const registry = new PrometheusRegistry();
    const histogram = registry.histogram("latency_seconds", "Latency.", [0.1, 0.01, 1]);
    for (const value of [0.005, 0.01, 0.05, 0.5, 3]) histogram.observe(value);
    const lines = registry.render().split("\n");
    expect(lines).toEqual([
      "# HELP latency_seconds Latency.",
      "# TYPE latency_seconds histogram",
      'latency_seconds_bucket{le="0.01"} 2',
      'latency_seconds_bucket{le="0.1"} 3',
      'latency_seconds_bucket{le="1"} 4',
      'latency_seconds_bucket{le="+Inf"} 5',
      "latency_seconds_sum 3.565",
      "latency_seconds_count 5",
      "",
    ]);
  });

  it("refuses invalid names, duplicate metrics, wrong label sets and decreasing counters", () => {
    const registry = new PrometheusRegistry();
    expect(() => registry.counter("bad-name", "x")).toThrow(MetricDefinitionError);
    expect(() => registry.counter("ok_total", "x", ["__reserved"])).toThrow(MetricDefinitionError);
    const counter = registry.counter("ok_total", "x", ["reason"]);
    expect(() => registry.gauge("ok_total", "x")).toThrow(/already registered/);
    expect(() => counter.inc({ other: "y" })).toThrow(/takes labels \{reason\}/);
    expect(() => counter.inc({ reason: "y" }, -1)).toThrow(/can only go up/);
    expect(() => registry.histogram("h", "x", [])).toThrow(MetricDefinitionError);
    expect(() => registry.histogram("h2", "x", [1, 1])).toThrow(MetricDefinitionError);
  });
});
