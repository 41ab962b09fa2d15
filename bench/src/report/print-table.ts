import { formatFigure, formatTarget, type ResultRow, verdict } from "./result-row.js";

const HEADINGS = [
  "section",
  "metric",
  "Mailnest",
  "note",
  "ceiling here",
  "MailDev 3.0",
  "smtp-server ref",
  "target",
  "result",
] as const;

function cells(row: ResultRow): string[] {
  return [
    row.section,
    row.metric,
    formatFigure(row.value, row.unit),
    row.note ?? "",
    row.ceiling === undefined ? "" : formatFigure(row.ceiling, row.unit),
    row.maildev ?? "",
    row.smtpServerReference ?? "",
    formatTarget(row.target, row.unit),
    row.target ? verdict(row) : "",
  ];
}

/** A plain-text table (fits a terminal and a log file alike). */
export function renderTable(rows: readonly ResultRow[]): string {
  const table = [HEADINGS as readonly string[], ...rows.map(cells)];
  const widths = HEADINGS.map((_, column) => Math.max(...table.map((line) => (line[column] ?? "").length)));
  const format = (line: readonly string[]) =>
    line
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [format(HEADINGS), rule, ...table.slice(1).map(format)].join("\n");
}

/** The same rows as a Markdown table, for docs/performance.md. */
export function renderMarkdown(rows: readonly ResultRow[]): string {
  const escapeCell = (text: string) => text.replace(/\|/g, "\\|");
  return [
    `| ${HEADINGS.join(" | ")} |`,
    `|${HEADINGS.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${cells(row).map(escapeCell).join(" | ")} |`),
  ].join("\n");
}
