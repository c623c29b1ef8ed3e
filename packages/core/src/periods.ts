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
