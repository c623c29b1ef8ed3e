import { table as columnTable } from "arquero";
import type { UsageRow } from "./usage-report.js";
import { FIELD_DECIMALS } from "./vocabulary.js";

export const REPORT_FORMATS = ["json", "csv", "html", "text", "markdown"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Every published column a row can have, in order; `active7` and `active28` only for days. */
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

/** The published columns of these rows: the day-only ones when the rows are days. */
export const usageColumns = (rows: readonly UsageRow[]): (keyof UsageRow)[] =>
  COLUMNS.filter((c) => (c !== "active7" && c !== "active28") || rows.some((r) => r[c] !== undefined));

/**
 * The rows as they are published, as objects (JSON): only these columns, in the rows' own order. A row
 * carries more for the pipeline (its period's end) than the formats and the API's contract show.
 */
export function publishedRows<Row extends object>(rows: readonly Row[], columns: readonly string[]): Partial<Row>[] {
  const shown = new Set(columns);
  return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => shown.has(key))) as Partial<Row>);
}

/** The report's rows as a bare table in one of the text formats (JSON is the rows themselves). */
export function formatReport(
  rows: readonly UsageRow[],
  format: ReportFormat,
  columns?: readonly (keyof UsageRow)[],
): string {
  return formatTable(rows, columns ?? usageColumns(rows), format, FIELD_DECIMALS);
}

/**
 * Rows of any kind as a table in one of the formats, with these columns in this order (JSON: these
 * fields of each row, in the row's order). Text aligns the columns, numbers to the right, and writes booleans as yes/no.
 */
export function formatTable<Row extends object, Column extends keyof Row & string>(
  rows: readonly Row[],
  columns: readonly Column[],
  format: ReportFormat,
  decimals: Partial<Record<string, number>> = {},
): string {
  // Every text format writes a field with the same decimals (26.0, never 26 beside 18.8571); JSON keeps numbers.
  const fixed = (c: Column, v: unknown) => {
    const d = decimals[c];
    return d !== undefined && typeof v === "number" ? v.toFixed(d) : v;
  };
  const tableOf = (cell: (value: unknown) => unknown) =>
    columnTable(Object.fromEntries(columns.map((c) => [c, rows.map((r) => cell(fixed(c, r[c] ?? null)))])));
  const table = tableOf((v) => v);
  const render = () => {
    switch (format) {
      case "json":
        return JSON.stringify(publishedRows(rows, columns), null, 2);
      case "csv":
        return tableOf(neutralised).toCSV();
      case "markdown":
        // Arquero escapes the pipes; a newline or an escape sequence would still break the row.
        return tableOf((v) => (typeof v === "string" ? printable(v) : v)).toMarkdown();
      case "html":
        return table.toHTML({ limit: Number.POSITIVE_INFINITY });
      case "text":
        return formatText(rows, columns, fixed);
    }
  };
  return `${render().trimEnd()}\n`;
}

/** Aligned columns for a terminal; numbers right-aligned. */
function formatText<Row extends object, Column extends keyof Row & string>(
  rows: readonly Row[],
  columns: readonly Column[],
  fixed: (c: Column, v: unknown) => unknown,
): string {
  const text = (v: unknown) =>
    typeof v === "boolean" ? (v ? "yes" : "no") : v === null || v === undefined ? "" : printable(String(v));
  const cells = [[...columns] as string[], ...rows.map((r) => columns.map((c) => text(fixed(c, r[c]))))];
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

/**
 * Text safe to print on a terminal or in a one-line cell: control characters (an escape sequence that
 * clears the screen, a newline that breaks a table's row) are written as escapes, `\x1b` as `\x1b`.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it escapes.
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

/**
 * A CSV cell a spreadsheet will not run: text that begins with `=`, `+`, `-`, `@`, a tab or a carriage
 * return is a formula to Excel, LibreOffice and Google Sheets, so it gets a leading `'` (OWASP's advice).
 */
export function neutralised(value: unknown): unknown {
  return typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
