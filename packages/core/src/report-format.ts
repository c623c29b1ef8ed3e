import { table as columnTable } from "arquero";
import type { UsageRow } from "./usage-report.js";

export const REPORT_FORMATS = ["json", "csv", "html", "text", "markdown"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Every column a row can have, in order; `active7` and `active28` only for days. */
const COLUMNS = [
  "timestamp",
  "period",
  "user",
  "logins",
  "partial",
  "previous",
  "new",
  "returning",
  "resurrected",
  "dormant",
  "dailyAverage",
  "stickiness",
  "active7",
  "active28",
  "days",
  "unprocessedDays",
] as const satisfies readonly (keyof UsageRow)[];

/** The columns of these rows: the day-only ones when the rows are days. */
const columnsOf = (rows: readonly UsageRow[]) =>
  COLUMNS.filter((c) => (c !== "active7" && c !== "active28") || rows.some((r) => r[c] !== undefined));

/** The report's rows as a bare table in one of the text formats (JSON is the rows themselves). */
export function formatReport(rows: readonly UsageRow[], format: ReportFormat): string {
  return `${render(rows, format).trimEnd()}\n`;
}

function render(rows: readonly UsageRow[], format: ReportFormat): string {
  const columns = columnsOf(rows);
  const table = columnTable(Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c])])));
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
  const columns = columnsOf(rows);
  const cells = [
    [...columns],
    ...rows.map((r) => columns.map((c) => (c === "partial" ? (r.partial ? "yes" : "no") : String(r[c])))),
  ];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const numeric = columns.map((c) => c !== "timestamp" && c !== "period" && c !== "partial");
  return cells
    .map((row) =>
      row
        .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
