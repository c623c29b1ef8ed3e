import { DateTime } from "luxon";
import { type Period, periodOf, previousPeriod, startOfDay } from "../time/periods.js";
import { spanOfRow, type UsageQuery, type UsageReport, type UsageRow } from "./usage-report.js";
import { formatMetric, type MetricField, termOf } from "./vocabulary.js";

/** How one figure compares with another: a percentage for counts, percentage points for ratios. */
export interface Change {
  /** `+3.3 %`, `−11.7 %`, `+9 pp`, `±0 %`. */
  text: string;
  direction: "up" | "down" | "same";
  /** A change a reader should notice: at least 10 % and 3 people or logins, or 5 percentage points. */
  notable: boolean;
}

/** A figure of one period, or of its first `days` days. */
export interface Figure {
  period: string;
  value: number;
  /** As a reader sees it: `1,234`, `41 %`. */
  text: string;
}

/**
 * What a page or a terminal says first: the latest complete period against the one before, and the
 * period in progress against the same elapsed part of the one before. Never a period in progress
 * against a whole one.
 */
export interface Headline {
  field: MetricField;
  label: string;
  aggregate: Period;
  latest?: Figure & { before?: Figure; change?: Change };
  /**
   * The period in progress so far; its whole days (`days` of them: today is not over) and the period
   * before over as many days, when it has had a whole day.
   */
  current?: Figure & { days: number; whole?: Figure; before?: Figure; change?: Change };
}

/**
 * The headline of a report's rows for one field. `elapsed` holds the rows of the ranges
 * `sameElapsedRange` gave: the period in progress over its whole days so far, and the period before
 * over as many days.
 */
export function headlineOf(
  rows: readonly UsageRow[],
  field: MetricField,
  aggregate: Period,
  elapsed?: { current?: UsageRow; previous?: UsageRow },
): Headline {
  const headline: Headline = { field, label: termOf(field).label, aggregate };
  const figure = (row: UsageRow | undefined, value = row?.[field]): Figure | undefined =>
    row && typeof value === "number" ? { period: row.period, value, text: formatMetric(field, value) } : undefined;
  const latestIndex = rows.findLastIndex((r) => !r.partial);
  const latestRow = rows[latestIndex];
  const latest = figure(latestRow);
  if (latest && latestRow) {
    const previousLabel = previousLabelOf(latestRow, aggregate);
    // Distinct people of the period before are on the row itself, exact even before the range.
    const before =
      field === "user"
        ? figure({ ...latestRow, period: previousLabel }, latestRow.previous)
        : rows[latestIndex - 1]?.period === previousLabel
          ? figure(rows[latestIndex - 1])
          : undefined;
    headline.latest = { ...latest, before, change: before && changeOf(field, before.value, latest.value) };
  }
  const last = rows.at(-1);
  if (last?.partial) {
    const current = figure(last);
    const whole = figure(elapsed?.current);
    const before = whole && figure(elapsed?.previous);
    if (current) {
      headline.current = {
        ...current,
        days: elapsed?.current?.days ?? 0,
        whole: before && whole,
        before,
        change: before && whole && changeOf(field, before.value, whole.value),
      };
    }
  }
  return headline;
}

/** The change from `from` to `to`, and whether a reader should notice it. */
export function changeOf(field: MetricField, from: number, to: number): Change | undefined {
  const direction = to > from ? "up" : to < from ? "down" : "same";
  const sign = direction === "up" ? "+" : direction === "down" ? "−" : "±";
  if (termOf(field).unit === "ratio") {
    const points = Math.round((to - from) * 100);
    return { text: `${sign}${Math.abs(points)} pp`, direction, notable: Math.abs(points) >= 5 };
  }
  if (from === 0) return undefined;
  const percent = ((to - from) / from) * 100;
  return {
    text: `${sign}${Math.abs(percent).toFixed(1)} %`,
    direction,
    notable: Math.abs(percent) >= 10 && Math.abs(to - from) >= 3,
  };
}

/** The whole days a period in progress has had, and the same days at the start of the period before. */
export interface ElapsedRanges {
  current: { start: string; end: string };
  previous: { start: string; end: string };
}

/**
 * The ranges a like-with-like comparison of a period in progress reads: its whole days so far (today,
 * not over, left out) and as many days at the start of the period before. None before its first day
 * is over, and none for days, whose part so far has no whole day.
 */
export function sameElapsedRange(
  current: UsageRow,
  aggregate: Period,
  context: { zone: string; now: Date; end: DateTime },
): ElapsedRanges | undefined {
  if (aggregate === "day") return undefined;
  const span = spanOfRow(current, aggregate, context.zone);
  const until = DateTime.min(startOfDay(context.now, context.zone), context.end.setZone(context.zone), span.end);
  const days = Math.round(until.diff(span.start, "days").days);
  if (days < 1) return undefined;
  const before = previousPeriod(span);
  const end = DateTime.min(before.start.plus({ days }), before.end);
  return {
    current: { start: span.start.toISO() as string, end: until.toISO() as string },
    previous: { start: before.start.toISO() as string, end: end.toISO() as string },
  };
}

/**
 * The headline of a report: its latest complete period against the one before, and the period in
 * progress against the same elapsed part of the one before, whose rows `rowOf` reads (a small report
 * each, of those ranges, through whatever reads the caller's reports: the API's cache, or the rollup).
 */
export async function reportHeadline(
  answer: { query: UsageQuery; report: UsageReport },
  field: MetricField,
  now: Date,
  rowOf: (range: { start: string; end: string; aggregate: Period }) => Promise<UsageRow | undefined>,
): Promise<Headline> {
  const { query, report } = answer;
  const current = report.rows.at(-1);
  const ranges = current?.partial
    ? sameElapsedRange(current, query.aggregate, { zone: report.timezone, now, end: query.end })
    : undefined;
  const { aggregate } = query;
  const elapsed = ranges && {
    current: await rowOf({ ...ranges.current, aggregate }),
    previous: await rowOf({ ...ranges.previous, aggregate }),
  };
  return headlineOf(report.rows, field, aggregate, elapsed);
}

function previousLabelOf(row: UsageRow, aggregate: Period): string {
  const start = DateTime.fromISO(row.timestamp, { setZone: true });
  return previousPeriod(periodOf(start, aggregate)).label;
}

/** One sentence of a headline, and the change it ends with, to colour or to print after it. */
export interface HeadlineSentence {
  text: string;
  change?: Change;
}

/** The headline in words: one sentence for the latest complete period, one for the period in progress. */
export function headlineSentences(headline: Headline): HeadlineSentence[] {
  const { latest, current, label, aggregate } = headline;
  const sentences: HeadlineSentence[] = [];
  if (latest) {
    const before = latest.before ? `; the ${aggregate} before (${latest.before.period}): ${latest.before.text}` : "";
    sentences.push({
      text: `${latest.text} ${label} in ${latest.period}, the latest complete ${aggregate}${before}`,
      change: latest.change,
    });
  }
  if (current) sentences.push({ text: currentText(current, label, aggregate), change: current.change });
  return sentences;
}

/** The headline as lines of text for a terminal or a text format, each change after its sentence. */
export function headlineText(headline: Headline): string[] {
  return headlineSentences(headline).map(({ text, change }) => (change ? `${text} · ${change.text}` : text));
}

function currentText(current: NonNullable<Headline["current"]>, label: string, aggregate: Period): string {
  const so = `So far in ${current.period}: ${current.text} ${label}`;
  if (!current.whole || !current.before) {
    return `${so} (compared with the ${aggregate} before once ${aggregate === "day" ? "it is over" : "its first day is over"})`;
  }
  const days = current.days === 1 ? "its first day" : `its first ${current.days} days`;
  return `${so}; over ${days}, ${current.whole.text} against ${current.before.text} over the same days of ${current.before.period}`;
}
