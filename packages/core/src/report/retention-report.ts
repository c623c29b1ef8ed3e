import { DateTime } from "luxon";
import type { PeriodDocument, RollupSettings, RollupStore } from "../rollup/rollup.js";
import { nextDay, nextPeriod, type PeriodSpan, periodOf } from "../time/periods.js";
import { formatTable, type ReportFormat } from "./report-format.js";
import type { RetentionQuery } from "./retention-arguments.js";

/**
 * What a retention row means, word for word in the README and the OpenAPI document (a test checks the
 * README holds it).
 */
export const RETENTION_DEFINITION =
  "First-time cohorts: a person belongs to the cohort of the period (a week or a month, in the rollup's zone) " +
  "holding their first login ever, on any processed day. The cohorts shown are those whose period starts in " +
  "[start, end). Each cohort has one row for each k = 0..N (N = periods): `size` is the number of its people, " +
  "`period` the k-th period after the cohort's (k = 0 is the cohort's own period), `active` the number of the " +
  "cohort's people with a login in that period (so at k = 0, active = size), and `share` = active / size (0 " +
  "when size is 0). `partial` marks a period that has not ended or has days the job has not processed. " +
  "Periods that have not started are left out.";

/** How many of a cohort came back in the k-th period after theirs. */
export interface RetentionRow {
  /** The cohort's period label, as in `/raw`: `2026-W40`, `2026-10`. */
  cohort: string;
  /** The cohort period's start, ISO 8601 in the rollup's zone. */
  cohortStart: string;
  /** People whose first login ever falls in the cohort's period. */
  size: number;
  /** 0 is the cohort's own period. */
  k: number;
  /** The label of the k-th period after the cohort's. */
  period: string;
  /** The cohort's people with a login in `period`. */
  active: number;
  /** `active / size`, 0 when the cohort is empty. */
  share: number;
  /** `period` has not ended, or has days the job has not processed. */
  partial: boolean;
}

export interface RetentionReport {
  rows: RetentionRow[];
  /** The cohorts shown, in order, with their sizes (the chart's rows). */
  cohorts: { cohort: string; cohortStart: string; size: number }[];
  timezone: string;
  /** When the job last wrote the rollup; null while it is empty. */
  asOf: Date | null;
  /** People documents looked up by `_id`: each period shown once, however many cohorts share it. */
  lookups: number;
  /** Time spent waiting for the database. */
  databaseMs: number;
}

/** Periods read at once; the store itself looks up a few at a time. */
const BATCH = 16;

/**
 * First-time cohorts and how many of them came back in each later period, from the people documents of
 * the periods shown: each is looked up by `_id` once (the cohorts' own periods and the N after the last
 * cohort), and `seen: false` in a cohort's period marks its people. Nothing is read from the log, and
 * no period outside what the job processed is looked up.
 */
export async function readRetention(
  store: RollupStore,
  settings: RollupSettings | null,
  query: RetentionQuery,
  context: { now: Date; zone: string; identity?: (user: string) => string },
): Promise<RetentionReport> {
  const began = Date.now();
  const { zone } = context;
  // A name and its pseudonym (an expired name) are one person.
  const identity = context.identity ?? ((user: string) => user);
  const now = DateTime.fromJSDate(context.now).setZone(zone);
  const cohorts = cohortSpans(query, now);
  // The cohorts' periods and the N after the last: cohort i's k-th period is spans[i + k].
  const spans: PeriodSpan[] = [...cohorts];
  for (let n = 0, last = cohorts.at(-1); last && n < query.periods; n++) {
    last = nextPeriod(last);
    if (last.start > now) break;
    spans.push(last);
  }
  const empty = { timezone: zone, asOf: settings?.updated ?? null, lookups: 0 };
  if (!settings?.first || !settings.last || cohorts.length === 0) {
    return { ...empty, rows: [], cohorts: [], databaseMs: Date.now() - began };
  }
  const processed = {
    start: DateTime.fromISO(settings.first, { zone }),
    end: nextDay(DateTime.fromISO(settings.last, { zone })),
  };
  const canExist = (span: PeriodSpan) => span.start < processed.end && span.end > processed.start;

  // Everybody belongs to one cohort at most, so one map says whose people a period's entry counts for.
  const cohortOf = new Map<string, number>();
  const sizes = cohorts.map(() => 0);
  const active = cohorts.map(() => [] as number[]);
  const partial: boolean[] = [];
  let lookups = 0;
  for (let from = 0; from < spans.length; from += BATCH) {
    const batch = spans.slice(from, from + BATCH);
    lookups += batch.filter(canExist).length;
    const docs = await Promise.all(batch.map((span) => (canExist(span) ? store.period(span.label) : null)));
    docs.forEach((doc, offset) => {
      const j = from + offset;
      const span = spans[j] as PeriodSpan;
      partial[j] = span.end > now || (doc?.days ?? 0) < daysIn(span);
      if (j < cohorts.length) sizes[j] = addCohort(cohortOf, doc, j, identity);
      for (const entry of doc?.users ?? []) {
        const i = cohortOf.get(identity(entry.user));
        if (i === undefined || j - i > query.periods) continue;
        const counts = active[i] as number[];
        counts[j - i] = (counts[j - i] ?? 0) + 1;
      }
    });
  }

  const rows: RetentionRow[] = [];
  cohorts.forEach((cohort, i) => {
    const size = sizes[i] as number;
    const cohortStart = cohort.start.toISO() as string;
    for (let k = 0; k <= query.periods && i + k < spans.length; k++) {
      const count = active[i]?.[k] ?? 0;
      rows.push({
        cohort: cohort.label,
        cohortStart,
        size,
        k,
        period: (spans[i + k] as PeriodSpan).label,
        active: count,
        share: size ? count / size : 0,
        partial: partial[i + k] as boolean,
      });
    }
  });
  return {
    ...empty,
    rows,
    cohorts: cohorts.map((c, i) => ({ cohort: c.label, cohortStart: c.start.toISO() as string, size: sizes[i] ?? 0 })),
    lookups,
    databaseMs: Date.now() - began,
  };
}

/** The cohorts' periods: those starting in `[start, end)` that have started by now. */
function cohortSpans(query: RetentionQuery, now: DateTime): PeriodSpan[] {
  const spans: PeriodSpan[] = [];
  for (let span = periodOf(query.start, query.cohort); span.start < query.end; span = nextPeriod(span)) {
    if (span.start > now) break;
    if (span.start >= query.start) spans.push(span);
  }
  return spans;
}

/** Records a cohort's people (those not seen before its period) and returns how many there are. */
function addCohort(
  cohortOf: Map<string, number>,
  doc: PeriodDocument | null,
  index: number,
  identity: (user: string) => string,
): number {
  let size = 0;
  for (const entry of doc?.users ?? []) {
    if (entry.seen) continue;
    cohortOf.set(identity(entry.user), index);
    size++;
  }
  return size;
}

/** The local days of a period (a DST day counts once). */
function daysIn(span: PeriodSpan): number {
  let days = 0;
  for (let day = span.start; day < span.end; day = nextDay(day)) days++;
  return days;
}

/** A retention row's fields, in order. */
export const RETENTION_COLUMNS = [
  "cohort",
  "cohortStart",
  "size",
  "k",
  "period",
  "active",
  "share",
  "partial",
] as const satisfies readonly (keyof RetentionRow)[];

/** A share as people read it: `41.7%`. */
export const formatShare = (share: number) => `${(share * 100).toFixed(1)}%`;

/**
 * The rows as a table: JSON and CSV keep `share` a number for programs; text, Markdown and HTML, which
 * people read, write it as a percentage.
 */
export function formatRetention(rows: readonly RetentionRow[], format: ReportFormat): string {
  if (format === "json" || format === "csv") return formatTable(rows, RETENTION_COLUMNS, format);
  const readable = rows.map((r) => ({ ...r, share: formatShare(r.share) }));
  return formatTable(readable, RETENTION_COLUMNS, format);
}
