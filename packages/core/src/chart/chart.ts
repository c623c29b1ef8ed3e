import type * as PlotModule from "@observablehq/plot";
import { DateTime } from "luxon";
import { HomeUsageError } from "../errors.js";
import type { GroupLine } from "../report/group-report.js";
import type { UsageRow } from "../report/usage-report.js";
import { type Period, periodKeys } from "../time/periods.js";
import { describeGroups, type GroupPoint, groupDarkStyle, groupMarks, labelRoom } from "./group-chart.js";

/** What a chart can draw: the row field behind each, and how people call it. */
const METRICS = {
  users: { field: "user", noun: "distinct people", title: "Distinct people" },
  logins: { field: "logins", noun: "logins", title: "Logins" },
  active7: { field: "active7", noun: "people active in 7 days", title: "People active in the last 7 days" },
  active28: { field: "active28", noun: "people active in 28 days", title: "People active in the last 28 days" },
  new: { field: "new", noun: "new people", title: "New people" },
  returning: { field: "returning", noun: "returning people", title: "Returning people" },
  resurrected: { field: "resurrected", noun: "resurrected people", title: "Resurrected people" },
  dormant: { field: "dormant", noun: "dormant people", title: "Dormant people" },
  stickiness: { field: "stickiness", noun: "stickiness", title: "Stickiness" },
  lifecycle: { field: "user", noun: "people", title: "New, returning, resurrected and dormant people" },
  groups: { field: "user", noun: "distinct people", title: "Distinct people by group" },
} as const;

/**
 * The chart's `metric=` values. `lifecycle` stacks new, returning and resurrected above zero, dormant
 * below; `groups` draws a report's group lines (`GroupReport.lines`) rather than its rows.
 */
export type ChartMetric = keyof typeof METRICS;
export const CHART_METRICS = Object.keys(METRICS) as ChartMetric[];
// A Map, so that a user's word such as `constructor` finds nothing.
// `user` too: the report's column for distinct people.
const METRIC_NAMES = new Map<string, ChartMetric>([
  ...CHART_METRICS.map((m): [string, ChartMetric] => [m, m]),
  ["user", "users"],
]);

/** Reads `metric=`; an `E_USAGE` error naming the allowed values otherwise. */
export function parseMetric(input: string | undefined, name = "metric"): ChartMetric {
  if (input === undefined || input.trim() === "") return "users";
  const metric = METRIC_NAMES.get(input.trim().toLowerCase());
  if (!metric) {
    throw new HomeUsageError("E_USAGE", `${name}: unknown "${input}" (use ${CHART_METRICS.join(", ")})`);
  }
  return metric;
}

/**
 * A report row as the chart reads it: its period (start, end, label, partial), its people and logins,
 * and the lifecycle fields a report may carry. Fields a row lacks are drawn as gaps.
 */
export type ChartRow = Pick<UsageRow, "timestamp" | "end" | "period" | "user" | "logins" | "partial"> &
  Partial<UsageRow>;

export type ChartTheme = "light" | "dark" | "auto";
export const CHART_THEMES: readonly ChartTheme[] = ["light", "dark", "auto"];

export interface ChartOptions {
  /** The kind of period each row is. */
  aggregate: Period;
  /** @default "users" */
  metric?: ChartMetric;
  /** @default what is drawn, per aggregate: "Distinct people per week" */
  title?: string;
  /** The range, zone and time the report stands for: the subtitle and the description say them. */
  range?: { start: string; end: string; zone: string; asOf: string };
  /** @default 800, bounded by CHART_SIZE */
  width?: number;
  /** @default 400, bounded by CHART_SIZE */
  height?: number;
  /** `auto` follows the viewer's `prefers-color-scheme` inside the SVG. @default "light" */
  theme?: ChartTheme;
  /** @default "solid" */
  background?: "solid" | "transparent";
}

const SVG_NS = "http://www.w3.org/2000/svg";
// DejaVu Sans is the face the PNG renderer ships with, so a browser that has it draws the same widths.
export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Helvetica, Arial, sans-serif";
export const FONT_SIZE = 12;
export const TITLE_SIZE = 16;
const MARGIN = { left: 52, right: 28, bottom: 32, top: 34 };
const LIFECYCLE = ["new", "returning", "resurrected", "dormant"] as const;
type LifecycleKey = (typeof LIFECYCLE)[number];

export interface Palette {
  background: string;
  ink: string;
  muted: string;
  series: string;
  previous: string;
  new: string;
  returning: string;
  resurrected: string;
  dormant: string;
}

export const PALETTES: Record<"light" | "dark", Palette> = {
  // GitHub's Primer colours: they read on both of GitHub's themes, where these charts often end up.
  light: {
    background: "#ffffff",
    ink: "#1f2328",
    muted: "#59636e",
    series: "#0969da",
    previous: "#8c959f",
    new: "#0969da",
    returning: "#1a7f37",
    resurrected: "#9a6700",
    dormant: "#cf222e",
  },
  dark: {
    background: "#0d1117",
    ink: "#e6edf3",
    muted: "#9198a1",
    series: "#4493f8",
    previous: "#6e7681",
    new: "#4493f8",
    returning: "#3fb950",
    resurrected: "#d29922",
    dormant: "#f85149",
  },
};

let renderer: Promise<{ Plot: typeof PlotModule; document: Document }> | undefined;

// Plot and jsdom take ~85 MiB and most of a second to load, so only a process that draws pays for them.
// One document serves every chart. It is an HTML document, as Plot documents: an XML one would make
// outerHTML an XML serialisation, which is correct without help but six times slower on a long daily
// series. `serialize` makes up the difference.
export function loadRenderer() {
  renderer ??= Promise.all([import("@observablehq/plot"), import("jsdom")]).then(([Plot, { JSDOM }]) => ({
    Plot,
    document: new JSDOM("").window.document,
  }));
  return renderer;
}

interface Point {
  x: Date;
  /** The period's end, the next one's start: where a bar ends. */
  x2: Date;
  value: number | undefined;
  previous: number | undefined;
  lifecycle: Record<LifecycleKey, number | undefined>;
  label: string;
  partial: boolean;
  title: string;
}

/** The default title: what is drawn, per what. */
export function chartTitle(aggregate: Period, metric: ChartMetric = "users"): string {
  return `${METRICS[metric].title} per ${aggregate}`;
}

/** The sizes a chart may be drawn at, in px: below the minimum its title, axes and legend no longer fit. */
export const CHART_SIZE = {
  width: { min: 320, max: 2000, default: 800 },
  height: { min: 260, max: 1200, default: 400 },
} as const;

/** One entry of a chart's legend: a symbol and words, in the mark's colour. */
interface LegendItem {
  text: string;
  fill: string;
  className: string;
}

/** What a chart's parts are laid out from: its size, data, header and legend. */
interface Frame {
  width: number;
  height: number;
  metric: ChartMetric;
  theme: ChartTheme;
  colours: Palette;
  title: string;
  titleLines: string[];
  subtitleLines: string[];
  groupPoints?: GroupPoint[];
  points: Point[];
  /** The legend's rows, the first nearest the frame. */
  legend: LegendItem[][];
  /** The axis label's row: beside the legend's first, or above all of them when it does not fit there. */
  labelRow: number;
  margins: { marginLeft: number; marginRight: number; marginBottom: number; marginTop: number };
  plotWidth: number;
  plotHeight: number;
}

/**
 * Renders a report as a standalone SVG document (no XML declaration, so it inlines into HTML): the metric
 * per period, with a title, a subtitle, calendar ticks, a legend for every kind of mark, and
 * `role="img"`, `<title>` and `<desc>` for screen readers.
 */
export async function renderChart(
  rows: readonly ChartRow[] | readonly GroupLine[],
  options: ChartOptions,
): Promise<string> {
  const { Plot, document } = await loadRenderer();
  const frame = frameOf(rows, options);
  const { width, height, metric, theme, colours, title, points, groupPoints, margins } = frame;
  const marks = headerMarks(Plot, frame);
  const description = groupPoints
    ? `${describe([], metric, options, title).replace(/ No data\.$/, "")} ${describeGroups(groupPoints, options.aggregate)}`
    : describe(points, metric, options, title);
  // The accessible name and description are the <title> and <desc> elements `serialize` adds: the HTML
  // serialiser would leave a `<` in an aria-label attribute unescaped, which XML forbids.
  const plotOptions = { document, width, height, ...margins };
  const look = { width, height, theme, options, title, description };
  if (points.length === 0) {
    marks.push(
      Plot.text(["no data"], { frameAnchor: "middle", fontSize: 14, fill: colours.muted, className: "hu-muted" }),
    );
    return serialize(Plot.plot({ ...plotOptions, marks }), look);
  }
  const lifecycle = metric === "lifecycle";
  const extent = lifecycle ? lifecycleExtent(points) : valueExtent(points);
  const { domain: yDomain, ticks: yTicks } = numberScale(extent, frame.plotHeight, metric === "stickiness");
  marks.push(...legendMarks(Plot, frame));
  const first = points[0] as Point;
  const last = points[points.length - 1] as Point;
  // A single period has no extent of its own; its length either side centres it.
  let domain: [Date, Date] =
    points.length === 1 ? [new Date(2 * first.x.getTime() - first.x2.getTime()), first.x2] : [first.x, last.x];
  if (lifecycle) {
    domain = [first.x, last.x2];
    marks.push(...lifecycleMarks(Plot, points, colours, frame.plotWidth));
  } else if (groupPoints) {
    const layout = { theme: theme === "dark" ? ("dark" as const) : ("light" as const), top: yDomain[1] };
    marks.push(
      ...groupMarks(Plot, groupPoints, {
        ...layout,
        plotHeight: frame.plotHeight,
        room: labelRoom(groupPoints, width),
      }),
    );
  } else {
    marks.push(...lineMarks(Plot, points, colours, frame.plotWidth));
  }
  const x = {
    type: "utc" as const,
    domain,
    inset: lifecycle ? 2 : 12,
    ticks: calendarTicks(options.aggregate, [first.x, last.x], frame.plotWidth),
    tickFormat: (d: Date) => labelOf(d, options.aggregate),
    label: null,
  };
  const y = { domain: yDomain, ticks: yTicks, tickFormat: (n: number) => tickLabel(n, metric), label: null };
  return serialize(Plot.plot({ ...plotOptions, x, y: { ...y, grid: true, insetTop: 4 }, marks }), look);
}

/** A y tick: signed below zero (dormant people are drawn down), a percentage for stickiness. */
function tickLabel(n: number, metric: ChartMetric): string {
  if (metric === "stickiness") return `${Math.round(n * 100)}%`;
  return n < 0 ? `−${Math.abs(n).toLocaleString("en-US")}` : n.toLocaleString("en-US");
}

/** The chart's size, points, header lines, legend and margins. */
function frameOf(rows: readonly ChartRow[] | readonly GroupLine[], options: ChartOptions): Frame {
  const width = clampSize(options.width, CHART_SIZE.width.default, CHART_SIZE.width.min, CHART_SIZE.width.max);
  const height = clampSize(options.height, CHART_SIZE.height.default, CHART_SIZE.height.min, CHART_SIZE.height.max);
  const metric = options.metric ?? "users";
  const theme = options.theme ?? "light";
  const colours = PALETTES[theme === "dark" ? "dark" : "light"];
  const title = oneLine(options.title ?? "") || chartTitle(options.aggregate, metric);
  const subtitle = options.range ? subtitleOf(options.range) : "";
  const groupPoints = metric === "groups" ? toGroupPoints(rows as readonly GroupLine[]) : undefined;
  const points = groupPoints ? periodPoints(groupPoints) : toPoints(rows as readonly ChartRow[], metric);
  // Title and subtitle wrap at the image's width; each line is counted so the frame starts below them.
  const titleLines = wrap(title, width - 24, TITLE_SIZE * 0.62, 2);
  const subtitleLines = subtitle ? wrapParts(subtitle.split(" · "), width - 24, FONT_SIZE * 0.6, 2) : [];
  const header = 10 + titleLines.length * TITLE_SIZE * 1.25 + subtitleLines.length * FONT_SIZE * 1.3;
  const room = groupPoints ? labelRoom(groupPoints, width) : 0;
  const legend = legendRows(
    points.length ? legendOf(points, metric, options.aggregate, colours, width) : [],
    width - 24,
  );
  // The axis label shares the row nearest the frame when it fits beside the legend; otherwise it goes above.
  const nearest = (legend[0] ?? []).reduce((sum, item) => sum + textWidth(item.text), 0);
  const labelRow = nearest + textWidth(`↑ ${METRICS[metric].noun}`) > width - 24 ? legend.length : 0;
  const margins = {
    marginLeft: MARGIN.left,
    marginRight: Math.max(MARGIN.right, room),
    marginBottom: MARGIN.bottom,
    marginTop: Math.round(header + MARGIN.top + Math.max(legend.length - 1, labelRow) * LEGEND_ROW),
  };
  const plotWidth = width - margins.marginLeft - margins.marginRight;
  const plotHeight = Math.max(20, height - margins.marginTop - margins.marginBottom);
  return {
    width,
    height,
    metric,
    theme,
    colours,
    title,
    titleLines,
    subtitleLines,
    groupPoints,
    points,
    legend,
    labelRow,
    margins,
    plotWidth,
    plotHeight,
  };
}

/** Room a legend entry or axis label takes at the chart's font size, with air after it. */
const textWidth = (text: string) => (text.length + 3) * FONT_SIZE * 0.6;
const LEGEND_ROW = 16;

/** What each kind of mark is: the lifecycle's colours, the period before's grey line, incomplete periods. */
function legendOf(points: readonly Point[], metric: ChartMetric, aggregate: Period, colours: Palette, width: number) {
  const items: LegendItem[] = [];
  const muted = { fill: colours.muted, className: "hu-muted" };
  if (metric === "lifecycle") {
    for (const key of LIFECYCLE) items.push({ text: `■ ${key}`, fill: colours[key], className: `hu-${key}` });
  }
  if (points.some((p) => p.previous !== undefined)) {
    items.push({ text: `— ${aggregate} before`, fill: colours.previous, className: "hu-previous-key" });
  }
  if (points.some((p) => p.partial)) {
    const symbol = metric === "lifecycle" ? "▭" : "○";
    items.push({ text: `${symbol} ${width >= 420 ? "incomplete period" : "incomplete"}`, ...muted });
  }
  return items;
}

/**
 * A chart's title and, when there is one, its subtitle, pinned to the top-left corner of the image, not
 * of the frame, so the text lines up with the edge.
 */
export function titleMarks(
  Plot: typeof PlotModule,
  header: Pick<Frame, "margins" | "titleLines" | "subtitleLines">,
  muted: string,
): PlotModule.Markish[] {
  const { margins, titleLines, subtitleLines } = header;
  const marks: PlotModule.Markish[] = [
    Plot.text([titleLines.join("\n")], {
      frameAnchor: "top-left",
      dx: 12 - margins.marginLeft,
      dy: 10 - margins.marginTop,
      lineAnchor: "top",
      textAnchor: "start",
      fontSize: TITLE_SIZE,
      fontWeight: "bold",
      className: "hu-ink",
    }),
  ];
  if (subtitleLines.length) {
    marks.push(
      Plot.text([subtitleLines.join("\n")], {
        frameAnchor: "top-left",
        dx: 12 - margins.marginLeft,
        dy: 10 + titleLines.length * TITLE_SIZE * 1.25 + 2 - margins.marginTop,
        lineAnchor: "top",
        textAnchor: "start",
        fill: muted,
        className: "hu-muted",
      }),
    );
  }
  return marks;
}

/** The title and subtitle; the y axis's label above the frame. */
function headerMarks(Plot: typeof PlotModule, frame: Frame): PlotModule.Markish[] {
  const { margins, colours, points, metric } = frame;
  const marks = titleMarks(Plot, frame, colours.muted);
  if (points.length) {
    marks.push(
      Plot.text([`↑ ${METRICS[metric].noun}`], {
        frameAnchor: "top-left",
        dx: 3 - margins.marginLeft,
        dy: -20 - frame.labelRow * LEGEND_ROW,
        lineAnchor: "top",
        textAnchor: "start",
        className: "hu-ink",
      }),
    );
  }
  return marks;
}

/** Legend entries in rows of at most `room` px, in order, the first row nearest the frame. */
function legendRows(items: readonly LegendItem[], room: number): LegendItem[][] {
  const rows: LegendItem[][] = [];
  let used = Number.POSITIVE_INFINITY;
  for (const item of items) {
    if (used + textWidth(item.text) > room) {
      rows.push([]);
      used = 0;
    }
    rows.at(-1)?.push(item);
    used += textWidth(item.text);
  }
  return rows;
}

/** The legend, right-aligned above the frame, each entry in its mark's colour. */
function legendMarks(Plot: typeof PlotModule, frame: Frame): PlotModule.Markish[] {
  return frame.legend.flatMap((row, r) => {
    let dx = 0;
    return [...row].reverse().map((item) => {
      const mark = Plot.text([item.text], {
        frameAnchor: "top-right",
        dx: -dx,
        dy: -20 - r * LEGEND_ROW,
        lineAnchor: "top",
        textAnchor: "end",
        fill: item.fill,
        className: item.className,
      });
      dx += textWidth(item.text);
      return mark;
    });
  });
}

function lineMarks(
  Plot: typeof PlotModule,
  points: Point[],
  colours: Palette,
  plotWidth: number,
): PlotModule.Markish[] {
  const marks: PlotModule.Markish[] = [];
  const partial = points.some((p) => p.partial);
  if (points.some((p) => p.previous !== undefined)) {
    // The same periods a period earlier, faint: is this week above or below the last?
    marks.push(
      Plot.line(points, {
        x: "x",
        y: (p: Point) => p.previous ?? Number.NaN,
        stroke: colours.previous,
        strokeWidth: 1.5,
        strokeOpacity: 0.7,
        className: "hu-previous",
      }),
    );
  }
  const dot = { x: "x", y: "value", r: dotRadius(points.length, plotWidth), stroke: colours.series, strokeWidth: 1.5 };
  if (partial) {
    // Underneath the whole series; the solid line drawn over it hides it wherever both ends are complete.
    marks.push(
      Plot.line(points, {
        x: "x",
        y: (p: Point) => p.value ?? Number.NaN,
        stroke: colours.series,
        strokeWidth: 1.5,
        strokeDasharray: "4,4",
        className: "hu-series",
      }),
    );
  }
  marks.push(
    // A partial period's undefined y breaks the line, so segments touching it stay dashed.
    Plot.line(points, {
      x: "x",
      y: (p: Point) => (p.partial || p.value === undefined ? Number.NaN : p.value),
      stroke: colours.series,
      strokeWidth: 2,
      className: "hu-series",
    }),
    Plot.dot(points, {
      ...dot,
      fill: colours.series,
      title: "title",
      filter: (p: Point) => !p.partial && p.value !== undefined,
      className: "hu-dot",
    }),
  );
  if (partial) {
    marks.push(
      // After the filled dots, so an incomplete period stays visible where dots crowd.
      Plot.dot(points, {
        ...dot,
        fill: colours.background,
        title: "title",
        filter: (p: Point) => p.partial && p.value !== undefined,
        className: "hu-hollow",
      }),
    );
  }
  return marks;
}

function lifecycleMarks(
  Plot: typeof PlotModule,
  points: Point[],
  colours: Palette,
  plotWidth: number,
): PlotModule.Markish[] {
  // Stacked by hand, one mark per kind, so each kind keeps a constant colour the dark theme can restyle.
  type Rect = { x1: Date; x2: Date; y1: number; y2: number; title: string; partial: boolean };
  const bars = LIFECYCLE.map((key) => ({ key, rects: [] as Rect[] }));
  const outlines: Rect[] = [];
  for (const p of points) {
    let top = 0;
    for (const bar of bars) {
      const n = p.lifecycle[bar.key] ?? 0;
      const rect = { x1: p.x, x2: p.x2, title: p.title, partial: p.partial };
      if (bar.key === "dormant") bar.rects.push({ ...rect, y1: 0, y2: -n });
      else {
        bar.rects.push({ ...rect, y1: top, y2: top + n });
        top += n;
      }
    }
    if (p.partial)
      outlines.push({ x1: p.x, x2: p.x2, y1: -(p.lifecycle.dormant ?? 0), y2: top, title: p.title, partial: true });
  }
  const gap = Math.min(2, plotWidth / points.length / 6);
  const marks: PlotModule.Markish[] = bars.map(({ key, rects }) =>
    Plot.rectY(rects, {
      x1: "x1",
      x2: "x2",
      y1: "y1",
      y2: "y2",
      fill: colours[key],
      insetLeft: gap,
      insetRight: gap,
      title: "title",
      // An incomplete period, faded and outlined (the legend says so): its counts are not final.
      fillOpacity: (r: Rect) => (r.partial ? 0.35 : 0.9),
      className: `hu-${key}`,
    }),
  );
  marks.push(
    Plot.rectY(outlines, {
      x1: "x1",
      x2: "x2",
      y1: "y1",
      y2: "y2",
      fill: "none",
      stroke: colours.muted,
      strokeDasharray: "3,3",
      insetLeft: gap,
      insetRight: gap,
      className: "hu-outline",
    }),
    Plot.ruleY([0], { className: "hu-ink" }),
  );
  return marks;
}

export function clampSize(value: number | undefined, fallback: number, min: number, max: number): number {
  return value === undefined || !Number.isFinite(value) ? fallback : Math.round(Math.min(max, Math.max(min, value)));
}

// XML 1.0 cannot carry control characters or lone surrogates even as character references, and a
// newline would split a label into lines, so text is reduced to one line of legal characters.
export function oneLine(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Joins `items` with `separator` into lines of at most `most` characters; an item longer than that stands alone. */
function fillLines(items: readonly string[], separator: string, most: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const item of items) {
    const next = line ? `${line}${separator}${item}` : item;
    if (next.length <= most || !line) {
      line = next;
    } else {
      out.push(line);
      line = item;
    }
  }
  if (line) out.push(line);
  return out;
}

/** Breaks text into at most `lines` lines of about `room` px, the last one cut with an ellipsis. */
export function wrap(text: string, room: number, charWidth: number, lines: number): string[] {
  const most = Math.max(8, Math.floor(room / charWidth));
  const out = fillLines(text.split(" "), " ", most);
  if (out.length > lines) {
    const kept = out.slice(0, lines);
    kept[lines - 1] = `${(kept[lines - 1] ?? "").slice(0, most - 1)}…`;
    return kept;
  }
  return out.map((l) => (l.length > most ? `${l.slice(0, most - 1)}…` : l));
}

/** Like `wrap`, but breaks between the parts of a ` · `-separated line where it can. */
export function wrapParts(parts: string[], room: number, charWidth: number, lines: number): string[] {
  const most = Math.max(8, Math.floor(room / charWidth));
  const out = fillLines(parts, " · ", most);
  return out.length > lines || out.some((l) => l.length > most) ? wrap(parts.join(" · "), room, charWidth, lines) : out;
}

export function subtitleOf(range: NonNullable<ChartOptions["range"]>): string {
  return oneLine(`${range.start} – ${range.end} · ${range.zone} · as of ${range.asOf}`);
}

// The date and time before the offset; read by hand because luxon's ISO parser was a quarter of the
// render time on a ten-year daily series.
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?/;

// A period's wall-clock start or end read as UTC: the period sits where its label says, whatever the
// server's zone, and a 23-hour day takes a whole day's width.
function wallClockAsUtc(timestamp: string): Date | undefined {
  const match = WALL_CLOCK.exec(timestamp);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
  const ms = Number((match[7] ?? "").padEnd(3, "0"));
  const date = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day, hour, minute, second, ms));
  // Date.UTC rolls 2026-02-30 over into March; such a timestamp is not a period start.
  return date.toISOString().startsWith(timestamp.slice(0, 10)) ? date : undefined;
}

const finite = (n: unknown): number | undefined => (typeof n === "number" && Number.isFinite(n) ? n : undefined);

function toPoints(rows: readonly ChartRow[], metric: ChartMetric): Point[] {
  const points: Point[] = [];
  const field = METRICS[metric].field;
  for (const row of rows) {
    const x = wallClockAsUtc(row.timestamp);
    const x2 = wallClockAsUtc(row.end);
    if (!x || !x2) continue;
    const label = oneLine(row.period);
    const value = finite(row[field]);
    const lifecycle = {
      new: finite(row.new),
      returning: finite(row.returning),
      resurrected: finite(row.resurrected),
      dormant: finite(row.dormant),
    };
    const people = `${row.user.toLocaleString("en-US")} distinct ${row.user === 1 ? "person" : "people"}`;
    const lines = [label, people, plural(row.logins, "login")];
    if (metric === "lifecycle") {
      for (const key of LIFECYCLE) if (lifecycle[key] !== undefined) lines.push(`${lifecycle[key]} ${key}`);
    } else if (field !== "user" && field !== "logins") {
      lines.push(`${METRICS[metric].noun}: ${formatValue(value, metric)}`);
    }
    if (row.partial) lines.push("(incomplete)");
    points.push({
      x,
      x2,
      value,
      previous: metric === "users" ? finite(row.previous) : undefined,
      lifecycle,
      label,
      partial: row.partial,
      title: lines.join("\n"),
    });
  }
  return points.sort((a, b) => a.x.getTime() - b.x.getTime());
}

/** A group report's lines, placed on the x axis; a point without a period start is left out. */
function toGroupPoints(lines: readonly GroupLine[]): GroupPoint[] {
  const points: GroupPoint[] = [];
  for (const line of lines) {
    const x = typeof line.group === "string" ? wallClockAsUtc(line.timestamp) : undefined;
    const x2 = wallClockAsUtc(line.end);
    if (!x || !x2) continue;
    points.push({
      x,
      x2,
      period: oneLine(line.period),
      group: oneLine(line.group),
      value: finite(line.user) ?? null,
      partial: line.partial === true,
    });
  }
  return points;
}

/** One point per period of the group lines, valued at its largest figure: the axes' extent. */
function periodPoints(points: readonly GroupPoint[]): Point[] {
  const byPeriod = new Map<number, Point>();
  for (const p of points) {
    const at = p.x.getTime();
    const point = byPeriod.get(at) ?? {
      x: p.x,
      x2: p.x2,
      value: undefined,
      previous: undefined,
      lifecycle: { new: undefined, returning: undefined, resurrected: undefined, dormant: undefined },
      label: p.period,
      partial: p.partial,
      title: p.period,
    };
    if (p.value !== null) point.value = Math.max(point.value ?? 0, p.value);
    byPeriod.set(at, point);
  }
  return [...byPeriod.values()].sort((a, b) => a.x.getTime() - b.x.getTime());
}

function formatValue(value: number | undefined, metric: ChartMetric): string {
  if (value === undefined) return "none";
  return metric === "stickiness" ? `${Math.round(value * 100)}%` : value.toLocaleString("en-US");
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}

/** The label of the period starting at `d` (a wall-clock time read as UTC), as the report labels it. */
function labelOf(d: Date, aggregate: Period): string {
  return periodKeys(DateTime.fromJSDate(d, { zone: "UTC" }))[aggregate];
}

// Each kind of label's width at 12 px, with air between neighbours.
const TICK_SPACING: Record<Period, number> = { day: 84, week: 72, month: 64, quarter: 68, year: 44 };

/**
 * Ticks at calendar steps, the finest that fits: days, Mondays, then month starts every 1, 2, 3, 6 or 12
 * months; weeks, every other week, then the first week of every 1, 2, 3, 6 or 12 months; and so on.
 */
export function calendarTicks(aggregate: Period, domain: readonly [Date, Date], plotWidth: number): Date[] {
  const most = Math.max(1, Math.floor(plotWidth / TICK_SPACING[aggregate]));
  const from = domain[0];
  const to = domain[1].getTime();
  // Plain UTC dates, not luxon: a twenty-year daily range has 7,305 candidates, each tried by every step.
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth();
  const d = from.getUTCDate();
  const nth: (i: number) => Date = {
    day: (i: number) => new Date(Date.UTC(y, m, d + i)),
    week: (i: number) => new Date(Date.UTC(y, m, d + 7 * i)),
    month: (i: number) => new Date(Date.UTC(y, m + i, 1)),
    quarter: (i: number) => new Date(Date.UTC(y, m + 3 * i, 1)),
    year: (i: number) => new Date(Date.UTC(y + i, 0, 1)),
  }[aggregate];
  const all: Date[] = [];
  for (let i = 0; i < 10_000; i++) {
    const at = nth(i);
    if (at.getTime() > to) break;
    all.push(at);
  }
  const monthly = (n: number) => (t: Date) => t.getUTCMonth() % n === 0;
  const yearly = (n: number) => (t: Date) => t.getUTCFullYear() % n === 0;
  const steps: ((t: Date) => boolean)[] = {
    day: [
      () => true,
      (t: Date) => t.getUTCDay() === 1,
      ...[1, 2, 3, 6, 12].map((n) => (t: Date) => t.getUTCDate() === 1 && monthly(n)(t)),
      ...[2, 5, 10].map((n) => (t: Date) => t.getUTCDate() === 1 && t.getUTCMonth() === 0 && yearly(n)(t)),
    ],
    week: [
      () => true,
      (t: Date) => isoWeekNumber(t) % 2 === 1,
      ...[1, 2, 3, 6, 12].map((n) => (t: Date) => t.getUTCDate() <= 7 && monthly(n)(t)),
      ...[2, 5, 10].map((n) => (t: Date) => t.getUTCMonth() === 0 && t.getUTCDate() <= 7 && yearly(n)(t)),
    ],
    month: [
      ...[1, 2, 3, 6, 12].map(monthly),
      ...[2, 5, 10].map((n) => (t: Date) => t.getUTCMonth() === 0 && yearly(n)(t)),
    ],
    quarter: [
      ...[1, 2, 4].map((n) => monthly(3 * n)),
      ...[2, 5, 10].map((n) => (t: Date) => t.getUTCMonth() === 0 && yearly(n)(t)),
    ],
    year: [1, 2, 5, 10, 20, 50].map(yearly),
  }[aggregate];
  for (const step of steps) {
    const ticks = all.filter(step);
    if (ticks.length <= most && ticks.length > 0) return ticks;
  }
  // Even the coarsest step is too many, or none falls in a short range: the last period alone.
  return [all.at(-1) ?? from];
}

/** The ISO 8601 week number of a UTC date: its Thursday decides. */
function isoWeekNumber(t: Date): number {
  const thursday = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + 4 - (t.getUTCDay() || 7)));
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return Math.ceil(((thursday.getTime() - yearStart) / 86_400_000 + 1) / 7);
}

function valueExtent(points: readonly Point[]): [number, number] {
  let max = 0;
  for (const p of points) max = Math.max(max, p.value ?? 0, p.previous ?? 0);
  return [0, max];
}

function lifecycleExtent(points: readonly Point[]): [number, number] {
  let max = 0;
  let min = 0;
  for (const p of points) {
    max = Math.max(max, (p.lifecycle.new ?? 0) + (p.lifecycle.returning ?? 0) + (p.lifecycle.resurrected ?? 0));
    min = Math.min(min, -(p.lifecycle.dormant ?? 0));
  }
  return [min, max];
}

// People are counted in whole numbers; Plot's own ticks would show 0.5 users on a quiet chart.
function numberScale(
  [min, max]: [number, number],
  plotHeight: number,
  fraction: boolean,
): { domain: [number, number]; ticks: number[] } {
  const count = Math.max(2, Math.floor(plotHeight / 50));
  const rough = Math.max(fraction ? 0.01 : 1, max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(fraction ? 0.01 : 1, ([1, 2, 5, 10].find((m) => m * magnitude >= rough) ?? 10) * magnitude);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const bottom = Math.min(0, Math.floor(min / step) * step);
  const ticks: number[] = [];
  for (let i = 0; bottom + i * step <= top + step / 1000; i++) ticks.push(Number((bottom + i * step).toFixed(6)));
  return { domain: [bottom, top], ticks };
}

// Dense series (years of days) would otherwise merge into a band of overlapping circles.
function dotRadius(count: number, plotWidth: number): number {
  return Math.min(3.5, Math.max(1.5, plotWidth / count / 2));
}

/** What a screen reader says: the range, the latest complete value, and its change from the one before. */
function describe(points: readonly Point[], metric: ChartMetric, options: ChartOptions, title: string): string {
  const parts = [`${title}.`];
  if (options.range) {
    parts.push(
      `From ${options.range.start} to ${options.range.end} (${options.range.zone}), as of ${options.range.asOf}.`,
    );
  }
  const complete = points.filter((p) => !p.partial && (metric === "lifecycle" || p.value !== undefined));
  const latest = complete.at(-1);
  if (!latest) {
    const none = metric !== "lifecycle" && points.length > 0 && points.every((p) => p.value === undefined);
    parts.push(
      none ? `The report has no ${METRICS[metric].noun} yet.` : points.length ? "No complete period yet." : "No data.",
    );
    return parts.join(" ");
  }
  const noun = METRICS[metric].noun;
  if (metric === "lifecycle") {
    const l = latest.lifecycle;
    parts.push(
      `Latest complete ${options.aggregate}, ${latest.label}: ${l.new ?? 0} new, ${l.returning ?? 0} returning, ${l.resurrected ?? 0} resurrected, ${l.dormant ?? 0} dormant.`,
    );
    return parts.join(" ");
  }
  parts.push(`Latest complete ${options.aggregate}, ${latest.label}: ${formatValue(latest.value, metric)} ${noun}`);
  const before = points[points.indexOf(latest) - 1];
  if (before?.value !== undefined && latest.value !== undefined) {
    const change = latest.value - before.value;
    const percent = before.value ? ` (${change >= 0 ? "+" : ""}${Math.round((change / before.value) * 100)}%)` : "";
    const amount =
      metric === "stickiness"
        ? `${Math.round(Math.abs(change) * 100)} points`
        : Math.abs(change).toLocaleString("en-US");
    parts[parts.length - 1] +=
      change === 0
        ? `, the same as ${before.label}.`
        : `, ${change > 0 ? "up" : "down"} ${amount}${percent} from ${before.label} (${formatValue(before.value, metric)}).`;
  } else {
    parts[parts.length - 1] += ".";
  }
  return parts.join(" ");
}

export interface SerializeOptions {
  width: number;
  height: number;
  theme: ChartTheme;
  options: ChartOptions;
  title: string;
  description: string;
  /** CSS rules of a chart's own marks for the dark scheme of `auto`. */
  darkRules?: string;
}

export function serialize(
  figure: Element,
  { width, height, theme, options, title, description, darkRules }: SerializeOptions,
): string {
  const document = figure.ownerDocument;
  const colours = PALETTES[theme === "dark" ? "dark" : "light"];
  const transparent = options.background === "transparent";
  // The HTML serialiser writes no namespace; without it the file is not an SVG image.
  figure.setAttribute("xmlns", SVG_NS);
  figure.setAttribute("role", "img");
  figure.setAttribute("font-family", FONT);
  figure.setAttribute("font-size", String(FONT_SIZE));
  figure.setAttribute("class", `${figure.getAttribute("class") ?? ""} hu-chart`.trim());
  // Images and wiki embeds show no page stylesheet, so colours travel on the root; `color` is what
  // Plot's axes draw with (currentColor).
  figure.setAttribute("color", colours.ink);
  figure.removeAttribute("style");
  const style = figure.querySelector("style");
  if (style) style.textContent = chartStyle(theme, transparent, darkRules);

  const titleElement = document.createElementNS(SVG_NS, "title");
  titleElement.textContent = title;
  const desc = document.createElementNS(SVG_NS, "desc");
  desc.textContent = description;
  const background = document.createElementNS(SVG_NS, "rect");
  background.setAttribute("class", "hu-background");
  background.setAttribute("width", String(width));
  background.setAttribute("height", String(height));
  background.setAttribute("fill", transparent ? "none" : colours.background);
  figure.insertBefore(background, figure.firstChild);
  figure.insertBefore(desc, figure.firstChild);
  figure.insertBefore(titleElement, figure.firstChild);
  // `&nbsp;` is the one entity the HTML serialiser emits that XML does not define; `oneLine` already
  // turns U+00A0 into a space, this covers text Plot formats itself. A literal "&nbsp;" typed by a user
  // comes out as `&amp;nbsp;` and is left alone.
  return figure.outerHTML.replaceAll("&nbsp;", "&#160;");
}

// Plot's own style block, plus the dark palette for `auto`. Selectors are scoped to `.hu-chart`, since an
// SVG inlined into a page shares the page's stylesheet. Presentation attributes carry the light (or dark)
// colours for renderers without CSS, such as the PNG rasteriser; these rules override them in browsers.
function chartStyle(theme: ChartTheme, transparent: boolean, darkRules = ""): string {
  const base = `.hu-chart { display: block; height: auto; max-width: 100%; }
.hu-chart text, .hu-chart tspan { white-space: pre; }`;
  if (theme !== "auto") return base;
  const d = PALETTES.dark;
  return `${base}
@media (prefers-color-scheme: dark) {
  .hu-chart { color: ${d.ink}; }
  .hu-chart .hu-background { fill: ${transparent ? "none" : d.background}; }
  .hu-chart .hu-muted { fill: ${d.muted}; }
  .hu-chart .hu-series { stroke: ${d.series}; }
  .hu-chart .hu-dot { stroke: ${d.series}; fill: ${d.series}; }
  .hu-chart .hu-hollow { stroke: ${d.series}; fill: ${d.background}; }
  .hu-chart .hu-previous { stroke: ${d.previous}; }
  .hu-chart .hu-previous-key { fill: ${d.previous}; }
  .hu-chart .hu-outline { stroke: ${d.muted}; }
  .hu-chart .hu-new { fill: ${d.new}; }
  .hu-chart .hu-returning { fill: ${d.returning}; }
  .hu-chart .hu-resurrected { fill: ${d.resurrected}; }
  .hu-chart .hu-dormant { fill: ${d.dormant}; }${darkRules}
${groupDarkStyle()}
}`;
}
