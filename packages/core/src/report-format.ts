import { from } from "arquero";
import type { UsageRow } from "./usage-query.js";

export const REPORT_FORMATS = ["json", "csv", "html", "text", "markdown"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const COLUMNS = ["timestamp", "period", "user", "logins", "partial"] as const;

/** The report's rows as a bare table in one of the text formats (JSON is the rows themselves). */
export function formatReport(rows: readonly UsageRow[], format: ReportFormat): string {
  return `${render(rows, format).trimEnd()}\n`;
}

function render(rows: readonly UsageRow[], format: ReportFormat): string {
  const table = from(
    rows.length ? (rows as UsageRow[]) : { timestamp: [], period: [], user: [], logins: [], partial: [] },
  );
  switch (format) {
    case "json":
      return JSON.stringify(rows, null, 2);
    case "csv":
      return table.toCSV();
    case "markdown":
      return table.toMarkdown();
    case "html":
      return table.toHTML({ limit: Number.POSITIVE_INFINITY });
    case "text":
      return formatText(rows);
  }
}

/** Aligned columns for a terminal; numbers right-aligned. */
function formatText(rows: readonly UsageRow[]): string {
  const cells = [
    [...COLUMNS],
    ...rows.map((r) => [r.timestamp, r.period, String(r.user), String(r.logins), r.partial ? "yes" : "no"]),
  ];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const numeric = [false, false, true, true, false];
  return cells
    .map((row) =>
      row
        .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
