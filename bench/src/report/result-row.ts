/** A target from issue 7, checked against one measured value. */
export interface Target {
  /** `>=`: at least (throughput); `<`: below (latency, memory, cost); `<=`: at most. */
  op: ">=" | "<" | "<=";
  value: number;
}

/** One line of the printed table and of the JSON `rows`. */
export interface ResultRow {
  section: string;
  metric: string;
  /** The figure the target is checked against; null when the measurement did not happen. */
  value: number | null;
  unit: "msg/s" | "ms" | "MB" | "%" | "";
  /** Extra context shown beside the value (e.g. p99, the count actually sent). */
  note?: string;
  /** The bare smtp-server ceiling measured on this machine in the same run. */
  ceiling?: number;
  /**
   * MailDev's figure: measured in the same run where the ingest section ran it beside Mailnest,
   * otherwise issue 7's reference (measured elsewhere on a comparable 2-core machine), marked so.
   */
  maildev?: string;
  smtpServerReference?: string;
  target?: Target;
}

export type Verdict = "pass" | "FAIL" | "n/a";

export function verdict(row: ResultRow): Verdict {
  if (!row.target) return "n/a";
  if (row.value === null || Number.isNaN(row.value)) return "FAIL";
  const { op, value } = row.target;
  const met = op === ">=" ? row.value >= value : op === "<=" ? row.value <= value : row.value < value;
  return met ? "pass" : "FAIL";
}

export function formatFigure(value: number | null | undefined, unit: ResultRow["unit"]): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit === "" ? text : `${text} ${unit}`;
}

export function formatTarget(target: Target | undefined, unit: ResultRow["unit"]): string {
  if (!target) return "";
  const sign = { ">=": "≥", "<": "<", "<=": "≤" }[target.op];
  return `${sign} ${formatFigure(target.value, unit)}`;
}
