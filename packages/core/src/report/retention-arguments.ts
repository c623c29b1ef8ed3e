import type { DateTime } from "luxon";
import { HomeUsageError } from "../errors.js";
import { parseDate } from "../time/date-range.js";
import { periodOf } from "../time/periods.js";
import { checkRange } from "./usage-arguments.js";

/** The kinds of period a cohort can be. */
export const COHORT_KINDS = ["week", "month"] as const;
export type CohortKind = (typeof COHORT_KINDS)[number];

/** The cohorts shown by default, and the periods after each. */
export const DEFAULT_COHORTS = 12;
export const DEFAULT_RETENTION_PERIODS = 12;
/** The most periods after a cohort: a year of weeks. */
export const MAX_RETENTION_PERIODS = 52;

// A Map, so that a word such as `constructor` finds nothing.
const COHORT_NAMES = new Map<string, CohortKind>([
  ["w", "week"],
  ["week", "week"],
  ["m", "month"],
  ["month", "month"],
]);

/** The retention arguments as they arrive from a query string, a form, a JSON body or flags. */
export interface RetentionArguments {
  cohort?: unknown;
  start?: unknown;
  end?: unknown;
  periods?: unknown;
}

export interface RetentionQuery {
  cohort: CohortKind;
  /** The cohorts shown are those whose period starts in `[start, end)`. */
  start: DateTime;
  end: DateTime;
  /** N: the rows of a cohort are k = 0..N. */
  periods: number;
}

const given = (value: unknown) => value !== undefined && value !== null && value !== "";

const text = (value: unknown, name: string): string | undefined => {
  if (!given(value)) return undefined;
  if (typeof value !== "string") throw new HomeUsageError("E_USAGE", `${name}: must be a string`);
  return value;
};

/** Reads `cohort`: `w`, `week`, `m` or `month`, nothing else; weeks when absent. */
export function parseCohort(value: unknown, name = "cohort"): CohortKind {
  const word = text(value, name);
  if (word === undefined) return "week";
  const kind = COHORT_NAMES.get(word);
  if (!kind) throw new HomeUsageError("E_USAGE", `${name}: unknown "${word}" (use w, week, m or month)`);
  return kind;
}

/** Reads `periods`: a whole number from 1 to 52; 12 when absent. */
export function parseRetentionPeriods(value: unknown, name = "periods"): number {
  if (!given(value)) return DEFAULT_RETENTION_PERIODS;
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\d{1,3}$/.test(value)
        ? Number(value)
        : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_RETENTION_PERIODS) {
    throw new HomeUsageError("E_USAGE", `${name}: must be a whole number from 1 to ${MAX_RETENTION_PERIODS}`);
  }
  return n;
}

/**
 * Checks and reads the retention arguments in the rollup's zone. Defaults: `end` now, `start` the start
 * of the period 11 before the one holding the last instant before `end` (so 12 cohorts), `cohort`
 * weeks, `periods` 12. Every failure is an `E_USAGE` error naming the argument.
 */
export function parseRetentionArguments(
  args: RetentionArguments,
  context: { zone: string; now: Date },
): RetentionQuery {
  const cohort = parseCohort(args.cohort);
  const periods = parseRetentionPeriods(args.periods);
  const options = { zone: context.zone, now: context.now };
  const endText = text(args.end, "end");
  const startText = text(args.start, "start");
  const end = parseDate(endText ?? "now", { ...options, name: "end" });
  const start = startText
    ? parseDate(startText, { ...options, name: "start" })
    : periodOf(
        periodOf(end.minus({ milliseconds: 1 }), cohort).start.minus({ [`${cohort}s`]: DEFAULT_COHORTS - 1 }),
        cohort,
      ).start;
  checkRange(start, end);
  return { cohort, start, end, periods };
}
