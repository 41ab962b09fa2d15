/**
 * A tiny registry that renders the Prometheus text exposition format (version 0.0.4):
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 *
 * Written by hand because we need three metric kinds and a `render()`; a client library would
 * bring a default-metrics collector, a push gateway and an async registry we do not use.
 */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class MetricDefinitionError extends Error {
  override name = "MetricDefinitionError" as const;
}

export type Labels = Readonly<Record<string, string>>;

/** Renders a sample value: Prometheus spells the special floats `+Inf`, `-Inf` and `NaN`. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** HELP text escapes only backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Label values additionally escape the double quote, since they sit inside `"…"`. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function renderLabels(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return "";
  const pairs = names.map((name, index) => `${name}="${escapeLabelValue(values[index] ?? "")}"`);
  return `{${pairs.join(",")}}`;
}

interface Metric {
  readonly name: string;
  render(): string[];
}

function header(name: string, help: string, type: "counter" | "gauge" | "histogram"): string[] {
  return [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`];
}

/** Series are keyed by their label values in declaration order, joined with a byte no label value holds. */
const KEY_SEPARATOR = "\u0000";

function labelValues(metric: string, names: readonly string[], labels: Labels): string[] {
  const given = Object.keys(labels);
  if (given.length !== names.length || !given.every((name) => names.includes(name))) {
    throw new MetricDefinitionError(
      `${metric} takes labels {${names.join(", ")}}, got {${given.join(", ")}}`,
    );
  }
  return names.map((name) => labels[name] ?? "");
}

export class Counter implements Metric {
  readonly #series = new Map<string, { values: string[]; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new MetricDefinitionError(`${this.name} can only go up, got ${by}`);
    const values = labelValues(this.name, this.labelNames, labels);
    const key = values.join(KEY_SEPARATOR);
    const series = this.#series.get(key);
    if (series) series.count += by;
    else this.#series.set(key, { values, count: by });
  }

  render(): string[] {
    const lines = header(this.name, this.help, "counter");
    // An unlabelled counter is exposed from the start, so a scrape before the first event reads 0.
    if (this.labelNames.length === 0 && this.#series.size === 0) lines.push(`${this.name} 0`);
    for (const { values, count } of this.#series.values()) {
      lines.push(`${this.name}${renderLabels(this.labelNames, values)} ${formatValue(count)}`);
    }
    return lines;
  }
}

/** A gauge that is either set by events or read from a callback at scrape time. */
export class Gauge implements Metric {
  #value = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly read: (() => number) | null = null,
  ) {}

  set(value: number): void {
    this.#value = value;
  }

  inc(by = 1): void {
    this.#value += by;
  }

  dec(by = 1): void {
    this.#value -= by;
  }

  render(): string[] {
    const lines = header(this.name, this.help, "gauge");
    let value = this.#value;
    if (this.read) {
      try {
        value = this.read();
      } catch (error) {
        // One failing source must not take the whole scrape down; the gap shows in the output.
        console.error(`mailnest: reading gauge ${this.name} failed:`, error);
        return lines;
      }
    }
    lines.push(`${this.name} ${formatValue(value)}`);
    return lines;
  }
}

/** A histogram with fixed upper bounds; the `+Inf` bucket is implicit. */
export class Histogram implements Metric {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
  ) {
    const sorted = [...buckets].sort((a, b) => a - b);
    if (
      sorted.length === 0 ||
      sorted.some((bound, i) => !Number.isFinite(bound) || bound === sorted[i - 1])
    ) {
      throw new MetricDefinitionError(
        `${name} needs distinct finite bucket bounds, got [${buckets.join(", ")}]`,
      );
    }
    this.#bounds = sorted;
    this.#counts = sorted.map(() => 0);
  }

  observe(value: number): void {
    // Counts are kept per bucket and made cumulative when rendered, so observing is one increment.
    const index = this.#bounds.findIndex((bound) => value <= bound);
    if (index >= 0) this.#counts[index] = (this.#counts[index] ?? 0) + 1;
    this.#sum += value;
    this.#count += 1;
  }

  render(): string[] {
    const lines = header(this.name, this.help, "histogram");
    let cumulative = 0;
    this.#bounds.forEach((bound, index) => {
      cumulative += this.#counts[index] ?? 0;
      lines.push(`${this.name}_bucket{le="${formatValue(bound)}"} ${cumulative}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`);
    lines.push(`${this.name}_sum ${formatValue(this.#sum)}`);
    lines.push(`${this.name}_count ${this.#count}`);
    return lines;
  }
}

export class PrometheusRegistry {
  readonly #metrics = new Map<string, Metric>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith("__")) {
        throw new MetricDefinitionError(`${name}: "${label}" is not a valid label name`);
      }
    }
    return this.#add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, read: (() => number) | null = null): Gauge {
    return this.#add(new Gauge(name, help, read));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }

  /** The whole exposition, metrics in registration order, ending with a line feed. */
  render(): string {
    const lines: string[] = [];
    for (const metric of this.#metrics.values()) lines.push(...metric.render());
    return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  }

  #add<M extends Metric>(metric: M): M {
    if (!METRIC_NAME.test(metric.name)) {
      throw new MetricDefinitionError(`"${metric.name}" is not a valid metric name`);
    }
    if (this.#metrics.has(metric.name)) {
      throw new MetricDefinitionError(`metric ${metric.name} is already registered`);
    }
    this.#metrics.set(metric.name, metric);
    return metric;
  }
}
