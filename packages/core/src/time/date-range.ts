import { DateTime } from "luxon";
import { HomeUsageError } from "../errors.js";
import { startOfDay } from "./periods.js";

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Reads a date given by a person: `YYYY-MM-DD` (midnight in `zone`), an ISO 8601 date-time (its offset is
 * honoured; without one it is read in `zone`), `today`, `yesterday` or `now`.
 * `name` is the flag or argument it came from, for the error message.
 */
export function parseDate(input: string, options: { zone: string; now: Date; name: string }): DateTime {
  const { zone, now, name } = options;
  const text = input.trim();
  const lower = text.toLowerCase();
  if (lower === "now") return DateTime.fromJSDate(now).setZone(zone);
  if (lower === "today") return startOfDay(now, zone);
  if (lower === "yesterday") return startOfDay(now, zone).minus({ days: 1 }).startOf("day");
  if (DAY_PATTERN.test(text)) {
    const day = DateTime.fromISO(text, { zone });
    if (day.isValid) return day.startOf("day");
  } else {
    const instant = DateTime.fromISO(text, { zone, setZone: false });
    if (instant.isValid) return instant.setZone(zone);
  }
  throw new HomeUsageError(
    "E_USAGE",
    `${name}: cannot read "${input}" as a date (use YYYY-MM-DD, an ISO 8601 date-time, today or yesterday)`,
  );
}

/** An inclusive range of local days: `first` and `last` are midnights in the same zone. */
export interface DayRange {
  first: DateTime;
  last: DateTime;
}

/** The number of local days in a range, counting both ends (DST days count once). */
export function countDays(range: DayRange): number {
  return Math.round(range.last.diff(range.first, "days").days) + 1;
}

/** A date as a person reads it in a message: the day alone at midnight, else the day and the time. */
export function readableDate(date: DateTime): string {
  return date.equals(date.startOf("day")) ? (date.toISODate() as string) : date.toFormat("yyyy-MM-dd HH:mm");
}

/**
 * Checks and normalises a range of whole local days: both ends become the midnight of their day,
 * the end may not precede the start nor lie after today.
 */
export function toDayRange(
  start: DateTime,
  end: DateTime,
  options: { zone: string; now: Date; startName: string; endName: string },
): DayRange {
  const first = startOfDay(start, options.zone);
  const last = startOfDay(end, options.zone);
  const today = startOfDay(options.now, options.zone);
  if (last > today) {
    throw new HomeUsageError(
      "E_USAGE",
      `${options.endName}: ${last.toISODate()} is after today (${today.toISODate()})`,
    );
  }
  if (last < first && options.endName === "today") {
    throw new HomeUsageError(
      "E_USAGE",
      `${options.startName}: ${first.toISODate()} is after today (${today.toISODate()}); there is nothing to read yet`,
    );
  }
  if (last < first) {
    throw new HomeUsageError(
      "E_USAGE",
      `${options.endName}: ${last.toISODate()} is before the start ${options.startName} ${first.toISODate()}; swap them`,
    );
  }
  return { first, last };
}
