import { DateTime } from "luxon";
import { HomeUsageError } from "../errors.js";
import { lifecycleOf, People } from "../rollup/people.js";
import type { PeriodSummary, RollupSettings, RollupStore } from "../rollup/rollup.js";
import type { HomeUsageConfig } from "../settings/config.js";
import {
  coverDays,
  nextDay,
  type Period,
  type PeriodSpan,
  periodsBetween,
  previousPeriod,
  startOfDay,
} from "../time/periods.js";

/** One period of the report: who came, and how that compares with the period before. */
export interface UsageRow {
  /** The period's start, ISO 8601 in the rollup's zone. */
  timestamp: string;
  /**
   * Its end, exclusive (the next period's start), ISO 8601 in the rollup's zone, from the calendar that
   * cut the period: charts and the page read it rather than count. Not published: the formats and the
   * API's rows have the columns of `USAGE_COLUMNS` only.
   */
  end: string;
  /** Its label: `2026-11-28`, `2026-W48`, `2026-11`, `2026-Q4` or `2026`. */
  period: string;
  /** Distinct people with a login in the period (within the range). */
  user: number;
  logins: number;
  /** The period contains now, is cut by the range, or has days the job has not processed. */
  partial: boolean;
  /** Distinct people in the period before, whole, even when it lies before the range. */
  previous: number;
  new: number;
  returning: number;
  resurrected: number;
  dormant: number;
  /** The mean over the processed days of each day's distinct people. */
  dailyAverage: number;
  /** `dailyAverage / user`, 0 when nobody came. */
  stickiness: number;
  /** Days only: distinct people in the 7 and 28 days ending with the day. */
  active7?: number;
  active28?: number;
  /** Processed days of the period within the range. */
  days: number;
  /** Days of the period within the range, up to today, that the job has not processed. */
  unprocessedDays: number;
}

export interface UsageQuery {
  /** Inclusive; the rollup counts whole days, so the day containing `start` counts whole. */
  start: DateTime;
  /** Exclusive; a day it cuts counts whole. */
  end: DateTime;
  aggregate: Period;
}

export interface UsageReport {
  rows: UsageRow[];
  /** Labels of periods in the range that have no processed day at all, so no row. */
  missing: string[];
  /** The rollup's time zone, in which every period is cut. */
  timezone: string;
  /** When the job last wrote the rollup; null while it is empty. */
  asOf: Date | null;
  /** Time spent waiting for the database. */
  databaseMs: number;
}

/** Where a row's period starts and ends, as rows carry them: ISO 8601 in the rollup's zone. */
export const rowBounds = (span: PeriodSpan): Pick<UsageRow, "timestamp" | "end"> => ({
  timestamp: span.start.toISO() as string,
  end: span.end.toISO() as string,
});

/** The period a row carries, as core's calendar cut it: its kind, label, start and end in `zone`. */
export const spanOfRow = (
  row: Pick<UsageRow, "timestamp" | "end" | "period">,
  kind: Period,
  zone: string,
): PeriodSpan => ({
  kind,
  label: row.period,
  start: DateTime.fromISO(row.timestamp, { zone }),
  end: DateTime.fromISO(row.end, { zone }),
});

/**
 * The time zone to read the rollup in: its own. A zone set explicitly that disagrees is an error, never
 * a silently shifted answer; an empty rollup is read in the configured zone.
 */
export function rollupZone(
  settings: RollupSettings | null,
  config: Pick<HomeUsageConfig, "timezone" | "timezoneGiven">,
): string {
  if (!settings) return config.timezone;
  if (config.timezoneGiven && config.timezone !== settings.timezone) {
    throw new HomeUsageError(
      "E_CONFLICT",
      `the rollup was built in time zone ${settings.timezone}, but the time zone is set to ${config.timezone}: unset it to read the rollup in ${settings.timezone}, or rebuild the rollup in ${config.timezone} with home-usage aggregate --reset`,
    );
  }
  return settings.timezone;
}

/** The whole days a query covers: `[first, end)`, midnights in `zone`. */
export function queryDays(query: Pick<UsageQuery, "start" | "end">, zone: string) {
  const first = startOfDay(query.start, zone);
  const end = query.end.setZone(zone);
  return { first, end: end.equals(end.startOf("day")) ? end : nextDay(end.startOf("day")) };
}

/**
 * Distinct people per period, with the lifecycle metrics, read from the job's summaries: a page or
 * two of them for the whole periods in the range, and the people of the at most two periods the
 * range cuts. The cost follows the periods shown, never the log or the history.
 */
export async function readUsage(
  store: RollupStore,
  settings: RollupSettings | null,
  query: UsageQuery,
  context: { now: Date; zone: string; identity?: (user: string) => string },
): Promise<UsageReport> {
  const began = Date.now();
  const { zone } = context;
  const days = queryDays(query, zone);
  const spans = periodsBetween(days.first, days.end, query.aggregate);
  const empty = { rows: [], missing: spans.map((s) => s.label), timezone: zone, asOf: null };
  if (!settings?.last) return { ...empty, databaseMs: Date.now() - began };

  const summaries = await store.summaries(spans);
  const processedEnd = nextDay(DateTime.fromISO(settings.last, { zone }));
  const tomorrow = nextDay(startOfDay(context.now, zone));
  const now = context.now.getTime();
  const rows: UsageRow[] = [];
  const missing: string[] = [];
  for (const span of spans) {
    const summary = summaries.get(span.label);
    const from = DateTime.max(span.start, days.first);
    const to = DateTime.min(span.end, days.end);
    const cut = from > span.start || to < span.end;
    // A range that ends after the last processed day still holds every processed day of the period.
    const holdsAll = from.equals(span.start) && (to >= span.end || to >= processedEnd);
    const figures = !summary
      ? null
      : !cut || holdsAll
        ? summary
        : await cutFigures(store, span, from, to, context.identity);
    if (!figures) {
      missing.push(span.label);
      continue;
    }
    const expected = countMidnights(from, DateTime.min(to, tomorrow));
    const unprocessedDays = Math.max(0, expected - figures.days);
    const current = span.start.toMillis() <= now && now < span.end.toMillis();
    const dailyAverage = figures.days ? figures.dailySum / figures.days : 0;
    rows.push({
      ...rowBounds(span),
      period: span.label,
      user: figures.user,
      logins: figures.logins,
      partial: cut || current || unprocessedDays > 0,
      previous: figures.previous,
      new: figures.new,
      returning: figures.returning,
      resurrected: figures.resurrected,
      dormant: figures.dormant,
      dailyAverage: round(dailyAverage),
      stickiness: figures.user ? round(dailyAverage / figures.user) : 0,
      ...(query.aggregate === "day" ? { active7: figures.active7 ?? 0, active28: figures.active28 ?? 0 } : {}),
      days: figures.days,
      unprocessedDays,
    });
  }
  return { rows, missing, timezone: zone, asOf: settings.updated, databaseMs: Date.now() - began };
}

/**
 * The figures of the part `[from, to)` of a period the range cuts: its people come from a few whole
 * periods inside it; the previous period and who was seen before stay those of the whole period.
 */
async function cutFigures(
  store: RollupStore,
  span: PeriodSpan,
  from: DateTime,
  to: DateTime,
  identity: (user: string) => string = (user) => user,
): Promise<PeriodSummary | null> {
  const pieces = coverDays(from, to);
  const [docs, whole, before] = await Promise.all([
    Promise.all(pieces.map((p) => (p.kind === "day" ? store.day(p.label) : store.period(p.label)))),
    store.period(span.label),
    store.period(previousPeriod(span).label),
  ]);
  const people = new People(identity);
  for (const doc of docs) {
    if (!doc) continue;
    if (doc.kind === "day") people.addDay(doc.users);
    else people.addPeriod(doc);
  }
  if (people.days === 0) return null;
  const seen = new Set(whole?.users.filter((u) => u.seen).map((u) => identity(u.user)));
  const previous = new Set(before?.users.map((u) => identity(u.user)));
  return {
    user: people.size,
    logins: people.logins,
    days: people.days,
    dailySum: people.dailySum,
    ...lifecycleOf([...people.byUser.keys()], previous, (user) => seen.has(user)),
  };
}

/** Local midnights in [from, to): the days a range holds. */
function countMidnights(from: DateTime, to: DateTime): number {
  let count = 0;
  for (let day = from.startOf("day"); day < to; day = nextDay(day)) if (day >= from) count++;
  return count;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
