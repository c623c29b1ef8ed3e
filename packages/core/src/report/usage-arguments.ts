import type { DateTime } from "luxon";
import { HomeUsageError } from "../errors.js";
import { parseDate, readableDate } from "../time/date-range.js";
import { parsePeriod, startOfPeriod } from "../time/periods.js";
import type { UsageQuery } from "./usage-report.js";

/** The most a report may span. */
const MAX_YEARS = 20;

/** The report's arguments as they arrive from a query string, a form, a JSON body or flags. */
export interface UsageArguments {
  start?: unknown;
  end?: unknown;
  aggregate?: unknown;
}

const text = (value: unknown, name: string): string | undefined => {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string")
    throw new HomeUsageError("E_USAGE", `${name}: must be a string, got ${describe(value)}`);
  return value;
};

const describe = (value: unknown) =>
  Array.isArray(value) ? "a list" : typeof value === "object" ? "an object" : typeof value;

/**
 * Checks and reads the report's arguments. Defaults: `end` now, `start` the start of the period (of the
 * aggregate) that holds the day 90 days before `end`,
 * `aggregate` weeks. Every failure is an `E_USAGE` error naming the argument.
 */
export function parseUsageArguments(args: UsageArguments, context: { zone: string; now: Date }): UsageQuery {
  const options = { zone: context.zone, now: context.now };
  const endText = text(args.end, "end");
  const startText = text(args.start, "start");
  const aggregateText = text(args.aggregate, "aggregate");
  const end = endText ? parseDate(endText, { ...options, name: "end" }) : parseDate("now", { ...options, name: "end" });
  const aggregate = aggregateText === undefined ? "week" : parsePeriod(aggregateText);
  if (!aggregate) {
    throw new HomeUsageError(
      "E_USAGE",
      `aggregate: unknown "${aggregateText}" (use d, w, m, q, y, day, week, month, quarter or year)`,
    );
  }
  // The default range starts with the period that holds the day 90 days back, so its first row is a
  // whole period, not a sliver of one.
  const start = startText
    ? parseDate(startText, { ...options, name: "start" })
    : startOfPeriod(end.minus({ days: 90 }).startOf("day"), aggregate);
  checkRange(start, end);
  return { start, end, aggregate };
}

/** A report's range, usage or retention: its end after its start, at most MAX_YEARS later; `E_USAGE` otherwise. */
export function checkRange(start: DateTime, end: DateTime): void {
  if (end <= start) {
    throw new HomeUsageError(
      "E_USAGE",
      `end: ${readableDate(end)} is not after start ${readableDate(start)}; swap them, or give a later end`,
    );
  }
  if (end > start.plus({ years: MAX_YEARS })) {
    throw new HomeUsageError("E_USAGE", `end: the range may span at most ${MAX_YEARS} years`);
  }
}
