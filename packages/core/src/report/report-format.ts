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
export function formatReport(
  rows: readonly UsageRow[],
  format: ReportFormat,
  columns?: readonly (keyof UsageRow)[],
): string {
  return formatTable(rows, columns ?? columnsOf(rows), format);
}

/**
 * Rows of any kind as a table in one of the formats, with these columns in this order (JSON keeps the
 * rows whole). Text aligns the columns, numbers to the right, and writes booleans as yes/no.
 */
export function formatTable<Row extends object, Column extends keyof Row & string>(
  rows: readonly Row[],
  columns: readonly Column[],
  format: ReportFormat,
): string {
  const table = columnTable(Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c] ?? null)])));
  const render = () => {
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
        return formatText(rows, columns);
    }
  };
  return `${render().trimEnd()}\n`;
}

/** Aligned columns for a terminal; numbers right-aligned. */
function formatText<Row extends object, Column extends keyof Row & string>(
  rows: readonly Row[],
  columns: readonly Column[],
): string {
  const text = (v: unknown) =>
    typeof v === "boolean" ? (v ? "yes" : "no") : v === null || v === undefined ? "" : String(v);
  const cells = [[...columns] as string[], ...rows.map((r) => columns.map((c) => text(r[c])))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const numeric = columns.map((c) => rows.some((r) => typeof r[c] === "number"));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
