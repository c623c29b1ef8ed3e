import { DateTime } from "luxon";

/** The five period kinds, finest first. */
export const PERIODS = ["day", "week", "month", "quarter", "year"] as const;
export type Period = (typeof PERIODS)[number];

/** The label of each period a local day belongs to: `2026-11-28`, `2026-W48`, `2026-11`, `2026-Q4`, `2026`. */
export type PeriodKeys = Record<Period, string>;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The period labels of the local day that `day` falls in; weeks are ISO 8601 (Monday start, week-year). */
export function periodKeys(day: DateTime): PeriodKeys {
  return {
    day: `${pad(day.year, 4)}-${pad(day.month)}-${pad(day.day)}`,
    week: `${pad(day.weekYear, 4)}-W${pad(day.weekNumber)}`,
    month: `${pad(day.year, 4)}-${pad(day.month)}`,
    quarter: `${pad(day.year, 4)}-Q${day.quarter}`,
    year: pad(day.year, 4),
  };
}

/** Midnight, in `zone`, of the local day containing `instant`. */
export function startOfDay(instant: Date | DateTime, zone: string): DateTime {
  const dt = instant instanceof Date ? DateTime.fromJSDate(instant) : instant;
  return dt.setZone(zone).startOf("day");
}

/** The start of the period of kind `period` containing the local time `dt` (ISO weeks start on Monday). */
export function startOfPeriod(dt: DateTime, period: Period): DateTime {
  return period === "week" ? dt.startOf("week", { useLocaleWeeks: false }) : dt.startOf(period);
}

/** One period of one kind: its label and its local bounds, `[start, end)`. */
export interface PeriodSpan {
  kind: Period;
  label: string;
  start: DateTime;
  end: DateTime;
}

/** The period of kind `kind` that contains the local time `dt`. */
export function periodOf(dt: DateTime, kind: Period): PeriodSpan {
  const start = startOfPeriod(dt, kind);
  return { kind, label: periodKeys(start)[kind], start, end: startOfPeriod(start.plus({ [`${kind}s`]: 1 }), kind) };
}

/** What each kind of label looks like. */
const LABELS: readonly [RegExp, Period][] = [
  [/^\d{4}-\d{2}-\d{2}$/, "day"],
  [/^\d{4}-W\d{2}$/, "week"],
  [/^\d{4}-\d{2}$/, "month"],
  [/^\d{4}-Q[1-4]$/, "quarter"],
  [/^\d{4}$/, "year"],
];

/** The period a label names (`2026-11-28`, `2026-W48`, `2026-11`, `2026-Q4`, `2026`) in `zone`; null if none. */
export function periodOfLabel(label: string, zone: string): PeriodSpan | null {
  const kind = LABELS.find(([pattern]) => pattern.test(label))?.[1];
  if (!kind) return null;
  // Every label but a quarter's is ISO 8601; a quarter starts with its first month.
  const iso = kind === "quarter" ? `${label.slice(0, 4)}-${pad((Number(label.slice(6)) - 1) * 3 + 1)}` : label;
  const start = DateTime.fromISO(iso, { zone });
  if (!start.isValid) return null;
  const span = periodOf(start, kind);
  return span.label === label ? span : null;
}

/** The period of the same kind just after `span`. */
export const nextPeriod = (span: PeriodSpan): PeriodSpan => periodOf(span.end, span.kind);

/** The period of the same kind just before `span`. */
export const previousPeriod = (span: PeriodSpan): PeriodSpan => periodOf(span.start.minus({ days: 1 }), span.kind);

/** The periods of kind `kind` that overlap the local range `[from, to)`, in order. */
export function periodsBetween(from: DateTime, to: DateTime, kind: Period): PeriodSpan[] {
  const spans: PeriodSpan[] = [];
  for (let span = periodOf(from, kind); span.start < to; span = nextPeriod(span)) spans.push(span);
  return spans;
}

/** The day after the local midnight `day` (23 or 25 hours later across DST). */
export const nextDay = (day: DateTime): DateTime => day.plus({ days: 1 }).startOf("day");

/**
 * Covers the local days `[from, to)` with few whole periods, taking at each day the longest period
 * that starts there and fits: a stretch of a year is read from a handful of documents, not from
 * every day. The pieces never overlap, so their people merge exactly.
 *
 * With `nothingFrom` (the first day no document can hold yet: tomorrow) at or before `to`, a period
 * that starts inside the range may run past its end: its document holds only the days up to now, all
 * inside the range. So a range that ends now reads the period in progress from its own document.
 */
export function coverDays(from: DateTime, to: DateTime, nothingFrom?: DateTime): PeriodSpan[] {
  const pieces: PeriodSpan[] = [];
  const open = nothingFrom !== undefined && nothingFrom <= to;
  let at = from;
  while (at < to) {
    const piece = (["year", "quarter", "month", "week", "day"] as const)
      .map((kind) => periodOf(at, kind))
      .find((span) => span.start.equals(at) && (span.end <= to || open)) as PeriodSpan;
    pieces.push(piece);
    at = piece.end;
  }
  return pieces;
}

// A Map, not an object: a user's word such as `constructor` or `__proto__` must not find Object's own keys.
const PERIOD_ALIASES = new Map<string, Period>(
  Object.entries({
    d: "day",
    day: "day",
    w: "week",
    week: "week",
    m: "month",
    ms: "month",
    me: "month",
    month: "month",
    q: "quarter",
    qs: "quarter",
    qe: "quarter",
    quarter: "quarter",
    y: "year",
    ys: "year",
    ye: "year",
    a: "year",
    year: "year",
  }) as [string, Period][],
);

/**
 * Reads an aggregate as people write it: `d|w|m|q|y`, `day|week|month|quarter|year`, or pandas-style
 * frequencies (`D W M MS ME Q QS QE Y YS YE A`), in any case. Null when it is none of these.
 */
export function parsePeriod(input: string): Period | null {
  return PERIOD_ALIASES.get(input.trim().toLowerCase()) ?? null;
}
