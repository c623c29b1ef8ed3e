import { DateTime } from "luxon";
import { readableDate } from "../time/date-range.js";
import type { UsageQuery, UsageReport } from "./usage-report.js";

/** The range and freshness of a report as people read them: the charts' subtitles and the page. */
export interface ReportRange {
  /** The first day (with the time, when the start has one). */
  start: string;
  /** The last day: the day before an exclusive end at midnight, else the end's day and time; today's day when the range runs to now. */
  end: string;
  zone: string;
  /** When the job last wrote the rollup, in its zone; "the job has not run yet" when it never did. */
  asOf: string;
}

/**
 * The one way the API and the CLI put a report's range into words. `endGiven`: the range's end was
 * asked for (else it runs to now, and the day alone is said); `written`: when the job last wrote, where
 * the report itself does not say (an empty range).
 */
export function reportRange(
  query: Pick<UsageQuery, "start" | "end">,
  report: Pick<UsageReport, "asOf" | "timezone">,
  options: { endGiven: boolean; written?: Date | null },
): ReportRange {
  const { end } = query;
  const written = report.asOf ?? options.written;
  return {
    start: readableDate(query.start),
    end: options.endGiven ? lastDay(end) : (end.toISODate() as string),
    zone: report.timezone,
    asOf: written
      ? DateTime.fromJSDate(written).setZone(report.timezone).toFormat("yyyy-MM-dd HH:mm")
      : "the job has not run yet",
  };
}

/** The last day an exclusive end covers: the day before a midnight, else the end itself. */
export function lastDay(end: DateTime): string {
  return end.equals(end.startOf("day")) ? (end.minus({ days: 1 }).toISODate() as string) : readableDate(end);
}
