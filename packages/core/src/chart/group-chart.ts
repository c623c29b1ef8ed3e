import type * as PlotModule from "@observablehq/plot";
import { OTHER_GROUPS } from "../report/group-report.js";

/** One point of a group's line, placed: its period's start on the x axis, null where suppressed. */
export interface GroupPoint {
  x: Date;
  /** The period's end: where its span on the axis ends. */
  x2: Date;
  period: string;
  group: string;
  value: number | null;
  /** An incomplete period: its dot is drawn hollow. */
  partial: boolean;
}

// Primer's categorical colours, each readable as text on its theme's background; `other` is grey.
const SERIES = {
  light: ["#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bc4c00", "#1b7c83", "#bf3989"],
  dark: ["#4493f8", "#f85149", "#3fb950", "#d29922", "#a371f7", "#db6d28", "#39c5cf", "#db61a2"],
} as const;
const OTHER = { light: "#6e7781", dark: "#8b949e" } as const;

const LABEL_GAP = 6;
/** Pixels between two labels' baselines, so neighbours never overlap. */
const LABEL_HEIGHT = 13;
const CHAR_WIDTH = 12 * 0.6;

/** The groups in the order of their lines: as the report ranked them, `other` last. */
export function groupOrder(points: readonly GroupPoint[]): string[] {
  const order = [...new Set(points.map((p) => p.group))];
  return [...order.filter((g) => g !== OTHER_GROUPS), ...order.filter((g) => g === OTHER_GROUPS)];
}

/** The room the labels at the lines' ends need to the right of the frame: the longest, within a third of the width. */
export function labelRoom(points: readonly GroupPoint[], width: number): number {
  const longest = Math.max(0, ...groupOrder(points).map((g) => g.length));
  return Math.min(Math.round(width / 3), Math.round(LABEL_GAP + 4 + longest * CHAR_WIDTH));
}

/**
 * One line per group, each in a colour of its own and labelled with its name at its last shown point,
 * so no legend is needed; labels that would overlap are pushed apart vertically. A suppressed point
 * breaks its line.
 */
export function groupMarks(
  Plot: typeof PlotModule,
  points: readonly GroupPoint[],
  layout: { theme: "light" | "dark"; plotHeight: number; top: number; room: number },
): PlotModule.Markish[] {
  const groups = groupOrder(points);
  const colourOf = (group: string, i: number) =>
    group === OTHER_GROUPS ? OTHER[layout.theme] : (SERIES[layout.theme][i % SERIES.light.length] as string);
  const marks: PlotModule.Markish[] = [];
  const labels: { group: string; i: number; x: Date; y: number; at: number }[] = [];
  groups.forEach((group, i) => {
    const line = points.filter((p) => p.group === group);
    const stroke = colourOf(group, i);
    const className = `hu-g${group === OTHER_GROUPS ? "x" : i}`;
    marks.push(
      Plot.line(line, {
        x: "x",
        y: (p: GroupPoint) => p.value ?? Number.NaN,
        stroke,
        strokeWidth: 2,
        className: `${className}-line`,
      }),
      Plot.dot(line, {
        x: "x",
        y: (p: GroupPoint) => p.value ?? Number.NaN,
        r: 2.5,
        fill: stroke,
        title: (p: GroupPoint) => `${group}, ${p.period}: ${p.value ?? "fewer than the smallest group shown"}`,
        filter: (p: GroupPoint) => p.value !== null && !p.partial,
        className: `${className}-dot`,
      }),
      // An incomplete period's point is hollow, as in the other line charts (the legend says so).
      Plot.dot(line, {
        x: "x",
        y: (p: GroupPoint) => p.value ?? Number.NaN,
        r: 3,
        fill: "none",
        stroke,
        strokeWidth: 1.5,
        title: (p: GroupPoint) =>
          `${group}, ${p.period} (incomplete): ${p.value ?? "fewer than the smallest group shown"}`,
        filter: (p: GroupPoint) => p.value !== null && p.partial,
        className: `${className}-line`,
      }),
    );
    const last = line.filter((p) => p.value !== null).at(-1);
    if (last) labels.push({ group, i, x: last.x, y: last.value as number, at: pixelOf(last.value as number, layout) });
  });
  // From the top down, each label at least one line below the one above it, then the whole column
  // moved up if it ran out of the frame.
  labels.sort((a, b) => a.at - b.at);
  labels.forEach((label, n) => {
    const above = labels[n - 1];
    if (above && label.at < above.at + LABEL_HEIGHT) label.at = above.at + LABEL_HEIGHT;
  });
  const overflow = (labels.at(-1)?.at ?? 0) - layout.plotHeight;
  for (const label of labels) if (overflow > 0) label.at = Math.max(0, label.at - overflow);
  const most = Math.max(4, Math.floor((layout.room - LABEL_GAP) / CHAR_WIDTH));
  for (const label of labels) {
    const text = label.group.length > most ? `${label.group.slice(0, most - 1)}…` : label.group;
    marks.push(
      Plot.text([label], {
        x: "x",
        y: () => valueAt(label.at, layout),
        text: () => text,
        dx: LABEL_GAP,
        textAnchor: "start",
        lineAnchor: "middle",
        fill: colourOf(label.group, label.i),
        className: `hu-g${label.group === OTHER_GROUPS ? "x" : label.i}-text`,
      }),
    );
  }
  return marks;
}

// The y scale is linear from 0 at the bottom to `top` at the top of the frame (less its 4 px inset).
const INSET = 4;
const pixelOf = (value: number, { plotHeight, top }: { plotHeight: number; top: number }) =>
  INSET + (1 - value / top) * (plotHeight - INSET);
const valueAt = (pixel: number, { plotHeight, top }: { plotHeight: number; top: number }) =>
  top * (1 - (pixel - INSET) / (plotHeight - INSET));

/** The dark palette for `auto` charts, as CSS overriding the light presentation attributes. */
export function groupDarkStyle(): string {
  const rules = SERIES.dark.map(
    (colour, i) => `  .hu-chart .hu-g${i}-line { stroke: ${colour}; }
  .hu-chart .hu-g${i}-dot, .hu-chart .hu-g${i}-text { fill: ${colour}; }`,
  );
  rules.push(`  .hu-chart .hu-gx-line { stroke: ${OTHER.dark}; }
  .hu-chart .hu-gx-dot, .hu-chart .hu-gx-text { fill: ${OTHER.dark}; }`);
  return rules.join("\n");
}

/** What a screen reader says of the groups: the latest period's figure of each line. */
export function describeGroups(points: readonly GroupPoint[], aggregate: string): string {
  const latest = points.at(-1)?.period;
  if (!latest) return "No data.";
  const figures = groupOrder(points).map((group) => {
    const point = points.find((p) => p.group === group && p.period === latest);
    return `${group} ${point?.value ?? "too few to show"}`;
  });
  return `Latest ${aggregate}, ${latest}: ${figures.join(", ")}.`;
}
