import type * as PlotModule from "@observablehq/plot";
import type { CohortKind } from "../report/retention-arguments.js";
import type { RetentionRow } from "../report/retention-report.js";
import {
  CHART_SIZE,
  type ChartTheme,
  clampSize,
  FONT_SIZE,
  loadRenderer,
  oneLine,
  PALETTES,
  serialize,
  subtitleOf,
  TITLE_SIZE,
  titleMarks,
  wrap,
  wrapParts,
} from "./chart.js";

export interface RetentionChartOptions {
  cohort: CohortKind;
  /** N: the columns are k = 0..N. */
  periods: number;
  /** @default "Newcomers who came back, by month of first login" (or week) */
  title?: string;
  /** The cohorts' range, the zone and the time the report stands for. */
  range?: { start: string; end: string; zone: string; asOf: string };
  /** @default 800 */
  width?: number;
  /** @default as tall as the cohorts need */
  height?: number;
  /** @default "light" */
  theme?: ChartTheme;
  /** @default "solid" */
  background?: "solid" | "transparent";
}

/**
 * A cell's colour at a share of 1, laid over the background with an opacity that grows with the share.
 * Each is light (light theme) or dark (dark theme) enough that the theme's ink reads on every cell: on
 * the light one at 6.7:1 or more, on the dark one at 5.5:1 or more (WCAG AA asks 4.5:1).
 */
const CELL = { light: "#54aeff", dark: "#1158c7" } as const;
/** A share of 0 still shows a faint cell, so an empty cell is told from a missing one. */
const opacityOf = (share: number) => 0.06 + 0.94 * Math.max(0, Math.min(1, share));
/** The widths of DejaVu Sans, in em: digits are 0.636, `%` 0.95. */
const DIGIT_EM = 0.64;
const PERCENT_EM = 0.95;
const NARROW_FONT = 8;

interface Cell {
  cohort: string;
  k: number;
  share: number;
  partial: boolean;
  text: string;
  title: string;
}

/** The default title: what the heatmap shows. */
export function retentionTitle(cohort: CohortKind): string {
  return `Newcomers who came back, by ${cohort} of first login`;
}

/**
 * Retention as a heatmap, a standalone SVG: cohorts down, k = 0..N across, the share as the cell's
 * colour and written in it as a percentage, each cohort's size beside its row; `role="img"`, `<title>`
 * and a `<desc>` with the numbers.
 */
export async function renderRetentionChart(
  rows: readonly RetentionRow[],
  options: RetentionChartOptions,
): Promise<string> {
  const { Plot, document } = await loadRenderer();
  const theme = options.theme ?? "light";
  const dark = theme === "dark";
  const colours = PALETTES[dark ? "dark" : "light"];
  const layout = layoutOf(rows, options);
  const { width, height, margins, title, cohorts } = layout;
  const marks = titleMarks(Plot, layout, colours.muted);
  const description = describeRetention(cohorts, rows, options, title);
  const plotOptions = { document, width, height, ...margins };
  const serialized = { width, height, theme, title, description, darkRules: DARK_RULES };
  const look = { aggregate: options.cohort, background: options.background };
  if (cohorts.length === 0) {
    marks.push(
      Plot.text(["no cohorts"], { frameAnchor: "middle", fontSize: 14, fill: colours.muted, className: "hu-muted" }),
    );
    return serialize(Plot.plot({ ...plotOptions, marks }), { ...serialized, options: look });
  }
  marks.push(...heatmapMarks(Plot, layout, cellsOf(rows, options.cohort, layout.wide), dark, colours.muted));
  return serialize(
    Plot.plot({
      ...plotOptions,
      x: {
        type: "band",
        domain: layout.ks,
        axis: "top",
        label: null,
        tickSize: 0,
        tickFormat: (k: number) => (layout.cellWidth >= 14 || k % 2 === 0 ? String(k) : ""),
      },
      y: { type: "band", domain: cohorts.map((c) => c.cohort), label: null, tickSize: 0 },
      opacity: { type: "identity" },
      marks,
    }),
    { ...serialized, options: look },
  );
}

/** The heatmap's geometry: its size, margins, title and subtitle lines, cells and the numbers' font. */
function layoutOf(rows: readonly RetentionRow[], options: RetentionChartOptions) {
  const width = clampSize(options.width, CHART_SIZE.width.default, CHART_SIZE.width.min, CHART_SIZE.width.max);
  const title = oneLine(options.title ?? "") || retentionTitle(options.cohort);
  const cohorts = cohortsOf(rows);
  const ks = Array.from({ length: options.periods + 1 }, (_, k) => k);
  const titleLines = wrap(title, width - 24, TITLE_SIZE * 0.62, 2);
  const subtitle = options.range ? subtitleOf(options.range) : "";
  const subtitleLines = subtitle ? wrapParts(subtitle.split(" · "), width - 24, FONT_SIZE * 0.6, 2) : [];
  const header = 10 + titleLines.length * TITLE_SIZE * 1.25 + subtitleLines.length * FONT_SIZE * 1.3;
  const labelWidth = Math.max(4, ...cohorts.map((c) => c.cohort.length)) * FONT_SIZE * 0.62;
  // The sizes' heading is "people" where there is room, else the field's name.
  const sizeHeading = width >= 600 ? "people" : "size";
  const sizeWidth =
    Math.max(sizeHeading.length, ...cohorts.map((c) => c.size.toLocaleString("en-US").length)) * FONT_SIZE * 0.62;
  const margins = {
    marginLeft: Math.round(labelWidth + 10),
    marginRight: Math.round(sizeWidth + 12),
    marginTop: Math.round(header + 44),
    marginBottom: 10,
  };
  const plotWidth = Math.max(20, width - margins.marginLeft - margins.marginRight);
  const cellWidth = plotWidth / ks.length;
  const rowHeight = Math.min(28, Math.max(20, cellWidth * 0.8));
  const height =
    options.height === undefined
      ? Math.round(margins.marginTop + margins.marginBottom + Math.max(1, cohorts.length) * rowHeight)
      : clampSize(options.height, CHART_SIZE.height.default, CHART_SIZE.height.min, CHART_SIZE.height.max);
  const cellHeight = (height - margins.marginTop - margins.marginBottom) / Math.max(1, cohorts.length);
  // "100%" at the usual size where it fits; else "100" as large as fits (the axis says they are %).
  const wide = (FONT_SIZE - 1) * (3 * DIGIT_EM + PERCENT_EM) + 4 <= cellWidth;
  const fontSize = wide
    ? FONT_SIZE - 1
    : Math.min(FONT_SIZE - 1, Math.floor((cellWidth - 2) / (3 * DIGIT_EM)), Math.floor(cellHeight - 4));
  return {
    ...{ width, height, margins, title, titleLines, subtitleLines, cohorts, ks, sizeHeading, cellWidth },
    ...{ wide, fontSize, unit: options.cohort },
  };
}

type Layout = ReturnType<typeof layoutOf>;

/** Each row as a cell: its share written as a percentage, and its tooltip. */
function cellsOf(rows: readonly RetentionRow[], unit: CohortKind, wide: boolean): Cell[] {
  return rows.map((r) => ({
    cohort: r.cohort,
    k: r.k,
    share: r.share,
    partial: r.partial,
    text: `${Math.round(r.share * 100)}${wide ? "%" : ""}`,
    title: `${r.cohort}, ${r.k === 0 ? `its own ${unit}` : `${r.k} ${unit}${r.k === 1 ? "" : "s"} later`} (${r.period}): ${r.active} of ${r.size} (${Math.round(r.share * 100)}%)${r.partial ? ", incomplete" : ""}`,
  }));
}

/** The axis caption, the cells (incomplete ones outlined), their numbers, and each cohort's size. */
function heatmapMarks(
  Plot: typeof PlotModule,
  layout: Layout,
  cells: readonly Cell[],
  dark: boolean,
  muted: string,
): PlotModule.Markish[] {
  const { margins, wide, unit, sizeHeading, cohorts, fontSize } = layout;
  const marks: PlotModule.Markish[] = [
    Plot.text([`${wide ? "" : "% active, "}${unit}s after the first →`], {
      frameAnchor: "top-left",
      dy: -36,
      lineAnchor: "top",
      textAnchor: "start",
      className: "hu-ink",
    }),
    Plot.text([sizeHeading], {
      frameAnchor: "top-right",
      dx: margins.marginRight - 6,
      dy: -18,
      lineAnchor: "top",
      textAnchor: "end",
      fill: muted,
      className: "hu-muted",
    }),
    Plot.cell(cells, {
      x: "k",
      y: "cohort",
      fill: CELL[dark ? "dark" : "light"],
      fillOpacity: (c: Cell) => opacityOf(c.share),
      inset: 0.5,
      title: "title",
      className: "hu-cell",
    }),
    Plot.cell(
      cells.filter((c) => c.partial),
      {
        x: "k",
        y: "cohort",
        fill: "none",
        stroke: muted,
        strokeDasharray: "3,2",
        inset: 1.5,
        className: "hu-partial",
      },
    ),
    // Each cohort's size, right of its row.
    Plot.text(cohorts, {
      y: "cohort",
      text: (c: { size: number }) => c.size.toLocaleString("en-US"),
      frameAnchor: "right",
      dx: margins.marginRight - 6,
      textAnchor: "end",
      fill: muted,
      className: "hu-muted",
    }),
  ];
  if (fontSize >= NARROW_FONT) {
    const numbers = { x: "k", y: "cohort", text: "text", fontSize, className: "hu-ink" };
    marks.push(
      Plot.text(
        cells.filter((c) => !c.partial),
        numbers,
      ),
      Plot.text(
        cells.filter((c) => c.partial),
        { ...numbers, fontStyle: "italic" },
      ),
    );
  }
  return marks;
}

const DARK_RULES = `
  .hu-chart .hu-cell { fill: ${CELL.dark}; }
  .hu-chart .hu-partial { stroke: ${PALETTES.dark.muted}; }`;

/** The cohorts of the rows, in order, with their sizes. */
function cohortsOf(rows: readonly RetentionRow[]): { cohort: string; size: number }[] {
  const seen = new Map<string, number>();
  for (const r of rows) if (!seen.has(r.cohort)) seen.set(r.cohort, r.size);
  return [...seen].map(([cohort, size]) => ({ cohort, size }));
}

/** The most cohorts the description spells out, the latest; the data routes have every one. */
const DESCRIBED = 24;

/** What a screen reader says: the range, then each cohort's size and its shares in order of k. */
function describeRetention(
  cohorts: readonly { cohort: string; size: number }[],
  rows: readonly RetentionRow[],
  options: RetentionChartOptions,
  title: string,
): string {
  const parts = [`${title}.`];
  if (options.range) {
    parts.push(
      `Cohorts from ${options.range.start} to ${options.range.end} (${options.range.zone}), as of ${options.range.asOf}.`,
    );
  }
  if (cohorts.length === 0) return [...parts, "No cohorts."].join(" ");
  const unit = options.cohort;
  parts.push(
    `Share of each cohort with a login 0 to ${options.periods} ${unit}s after its own ${unit}; * marks an incomplete ${unit}.`,
  );
  const shown = cohorts.slice(-DESCRIBED);
  if (shown.length < cohorts.length) parts.push(`The latest ${shown.length} of ${cohorts.length} cohorts:`);
  for (const c of shown) {
    const shares = rows
      .filter((r) => r.cohort === c.cohort)
      .map((r) => `${Math.round(r.share * 100)}%${r.partial ? "*" : ""}`);
    parts.push(
      `${c.cohort}, ${c.size.toLocaleString("en-US")} ${c.size === 1 ? "person" : "people"}: ${shares.join(", ")}.`,
    );
  }
  return parts.join(" ");
}
