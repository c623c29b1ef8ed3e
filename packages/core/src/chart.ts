import type * as PlotModule from "@observablehq/plot";
import { DateTime } from "luxon";
import type { Period } from "./periods.js";
import type { UsageRow } from "./usage-report.js";

export interface ChartOptions {
  /** The kind of period each row is. */
  aggregate: Period;
  /** Drawn as a text mark at the top; any string, escaped. */
  title?: string;
  /** @default 800, bounded 200..2000 by the caller */
  width?: number;
  /** @default 400, bounded 150..1200 by the caller */
  height?: number;
}

const SVG_NS = "http://www.w3.org/2000/svg";
const SERIES = "#2563eb";
const INK = "#1f2328";
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const TITLE_SIZE = 16;
// Wide enough for the widest label, an ISO day such as 2026-11-28, with air between neighbours.
const TICK_SPACING = 90;
const MARGIN = { left: 52, right: 32, bottom: 32, top: 32, title: 28 };
const LEGENDS = ["hollow dot, dashed line: incomplete period", "hollow/dashed: incomplete", "○ incomplete"];
const DURATION_UNIT = { day: "days", week: "weeks", month: "months", quarter: "quarters", year: "years" } as const;

let renderer: Promise<{ Plot: typeof PlotModule; document: Document }> | undefined;

// Plot and jsdom take ~85 MiB and most of a second to load, so only a process that draws pays for them.
// One document serves every chart. It is an HTML document, as Plot documents: an XML one would make
// outerHTML an XML serialisation, which is correct without help but six times slower on a long daily
// series. `serialize` makes up the difference.
function loadRenderer() {
  renderer ??= Promise.all([import("@observablehq/plot"), import("jsdom")]).then(([Plot, { JSDOM }]) => ({
    Plot,
    document: new JSDOM("").window.document,
  }));
  return renderer;
}

interface Point {
  x: Date;
  user: number;
  label: string;
  partial: boolean;
  title: string;
}

/** Renders the distinct users per period as a standalone SVG document (no XML declaration, so it inlines into HTML). */
export async function renderChart(rows: readonly UsageRow[], options: ChartOptions): Promise<string> {
  const { Plot, document } = await loadRenderer();
  const width = clampSize(options.width, 800, 200, 2000);
  const height = clampSize(options.height, 400, 150, 1200);
  const title = options.title === undefined ? "" : oneLine(options.title);
  const points = toPoints(rows);
  const partial = points.some((p) => p.partial);
  const margins = {
    marginLeft: MARGIN.left,
    marginRight: MARGIN.right,
    marginBottom: MARGIN.bottom,
    marginTop: MARGIN.top + (title ? MARGIN.title : 0),
  };

  const marks: PlotModule.Markish[] = [];
  if (title) {
    // Pinned to the top-left corner of the image, not of the frame, so the title lines up with the edge.
    marks.push(
      Plot.text([title], {
        frameAnchor: "top-left",
        dx: 12 - margins.marginLeft,
        dy: 10 - margins.marginTop,
        lineAnchor: "top",
        textAnchor: "start",
        fontSize: TITLE_SIZE,
        fontWeight: "bold",
        // In ems of Helvetica; bold, and wider faces such as DejaVu Sans, need the slack.
        lineWidth: (width - 24) / TITLE_SIZE / 1.25,
        textOverflow: "ellipsis",
      }),
    );
  }

  if (points.length === 0) {
    marks.push(Plot.text(["no data"], { frameAnchor: "middle", fontSize: 14, fill: "#6e7781" }));
    return serialize(Plot.plot({ document, width, height, ...margins, ariaLabel: "no data", marks }), width, height);
  }

  const first = points[0] as Point;
  const last = points[points.length - 1] as Point;
  const plotWidth = width - margins.marginLeft - margins.marginRight;
  const plotHeight = height - margins.marginTop - margins.marginBottom;
  const labels = new Map(points.map((p) => [p.x.getTime(), p.label]));
  const { top, ticks: yTicks } = userScale(
    points.reduce((max, p) => Math.max(max, p.user || 0), 0),
    plotHeight,
  );
  // Plot puts the y label at the very top of the image, where the title is, so it is drawn here instead,
  // just above the frame.
  marks.push(
    Plot.text(["↑ distinct users"], {
      frameAnchor: "top-left",
      dx: 3 - margins.marginLeft,
      dy: -17,
      lineAnchor: "top",
      textAnchor: "start",
    }),
  );

  const dot = { x: "x", y: "user", r: dotRadius(points.length, plotWidth), stroke: SERIES, strokeWidth: 1.5 };
  if (partial) {
    // Underneath the whole series; the solid line drawn over it hides it wherever both ends are complete.
    marks.push(Plot.line(points, { x: "x", y: "user", stroke: SERIES, strokeWidth: 1.5, strokeDasharray: "4,4" }));
  }
  marks.push(
    // A partial period's undefined y breaks the line, so segments touching it stay dashed.
    Plot.line(points, { x: "x", y: (p: Point) => (p.partial ? Number.NaN : p.user), stroke: SERIES, strokeWidth: 2 }),
    Plot.dot(points, { ...dot, fill: SERIES, title: "title", filter: (p: Point) => !p.partial }),
  );
  if (partial) {
    marks.push(
      // After the filled dots, so an incomplete period stays visible where dots crowd.
      Plot.dot(points, { ...dot, fill: "white", title: "title", filter: (p: Point) => p.partial }),
      Plot.text([legendFor(plotWidth)], {
        frameAnchor: "top-right",
        dy: -17,
        lineAnchor: "top",
        textAnchor: "end",
        fill: "#57606a",
      }),
    );
  }

  // A single period has no extent of its own; its length either side centres it.
  const end = DateTime.fromJSDate(first.x, { zone: "UTC" }).plus({ [DURATION_UNIT[options.aggregate]]: 1 });
  const domain =
    points.length === 1 ? [new Date(2 * first.x.getTime() - end.toMillis()), end.toJSDate()] : [first.x, last.x];

  return serialize(
    Plot.plot({
      document,
      width,
      height,
      ...margins,
      ariaLabel: `distinct users per ${options.aggregate}`,
      x: {
        type: "utc",
        domain,
        inset: 12,
        ticks: thinTicks(points, plotWidth),
        tickFormat: (d: Date) => labels.get(d.getTime()) ?? "",
        label: null,
      },
      y: {
        domain: [0, top],
        ticks: yTicks,
        tickFormat: (n: number) => n.toLocaleString("en-US"),
        label: null,
        grid: true,
        insetTop: 4,
      },
      marks,
    }),
    width,
    height,
  );
}

function clampSize(value: number | undefined, fallback: number, min: number, max: number): number {
  return value === undefined || !Number.isFinite(value) ? fallback : Math.round(Math.min(max, Math.max(min, value)));
}

// XML 1.0 cannot carry control characters or lone surrogates even as character references, and a
// newline would split a label into lines, so text is reduced to one line of legal characters.
function oneLine(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/\s+/g, " ")
    .trim();
}

// The date and time before the offset; read by hand because luxon's ISO parser was a quarter of the
// render time on a ten-year daily series.
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?/;

// The wall-clock start read as UTC: the period sits where its label says, whatever the server's zone.
function wallClockAsUtc(timestamp: string): Date | undefined {
  const match = WALL_CLOCK.exec(timestamp);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
  const ms = Number((match[7] ?? "").padEnd(3, "0"));
  const date = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day, hour, minute, second, ms));
  // Date.UTC rolls 2026-02-30 over into March; such a timestamp is not a period start.
  return date.toISOString().startsWith(timestamp.slice(0, 10)) ? date : undefined;
}

function toPoints(rows: readonly UsageRow[]): Point[] {
  const points: Point[] = [];
  for (const row of rows) {
    const x = wallClockAsUtc(row.timestamp);
    if (!x) continue;
    const label = oneLine(row.period);
    const lines = [label, plural(row.user, "distinct user"), plural(row.logins, "login")];
    if (row.partial) lines.push("(incomplete)");
    points.push({
      x,
      user: row.user,
      label,
      partial: row.partial,
      title: lines.join("\n"),
    });
  }
  return points.sort((a, b) => a.x.getTime() - b.x.getTime());
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}

// Counted back from the newest period, the one people look for, so it always has its label.
function thinTicks(points: readonly Point[], plotWidth: number): Date[] {
  const most = Math.max(1, Math.floor(plotWidth / TICK_SPACING));
  const every = Math.ceil(points.length / most);
  return points.filter((_, i) => (points.length - 1 - i) % every === 0).map((p) => p.x);
}

// People are counted in whole numbers; Plot's own ticks would show 0.5 users on a quiet chart.
function userScale(max: number, plotHeight: number): { top: number; ticks: number[] } {
  const count = Math.max(2, Math.floor(plotHeight / 50));
  const rough = Math.max(1, max) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, ([1, 2, 5, 10].find((m) => m * magnitude >= rough) ?? 10) * magnitude);
  const top = Math.max(step, Math.ceil(max / step) * step);
  return { top, ticks: Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step) };
}

// The note ends at the frame's right edge, on the line of the y label, which takes the first 100px; at
// about 6px a character, narrow charts get a shorter wording.
function legendFor(plotWidth: number): string {
  const room = MARGIN.left + plotWidth - 100;
  return LEGENDS.find((legend) => legend.length * 6 <= room) ?? (LEGENDS.at(-1) as string);
}

// Dense series (years of days) would otherwise merge into a band of overlapping circles.
function dotRadius(count: number, plotWidth: number): number {
  return Math.min(3.5, Math.max(1.5, plotWidth / count / 2));
}

function serialize(figure: Element, width: number, height: number): string {
  // The HTML serialiser writes no namespace; without it the file is not an SVG image.
  figure.setAttribute("xmlns", SVG_NS);
  // Images and wiki embeds show no page stylesheet, so colours and font travel on the root.
  figure.setAttribute("style", `background: white; color: ${INK}`);
  figure.setAttribute("font-family", FONT);
  const document = figure.ownerDocument;
  const background = document.createElementNS(SVG_NS, "rect");
  background.setAttribute("width", String(width));
  background.setAttribute("height", String(height));
  background.setAttribute("fill", "white");
  figure.insertBefore(background, figure.firstChild);
  // `&nbsp;` is the one entity the HTML serialiser emits that XML does not define; `oneLine` already
  // turns U+00A0 into a space, this covers text Plot formats itself. A literal "&nbsp;" typed by a user
  // comes out as `&amp;nbsp;` and is left alone.
  return figure.outerHTML.replaceAll("&nbsp;", "&#160;");
}
