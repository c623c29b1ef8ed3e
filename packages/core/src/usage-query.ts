import { table } from "arquero";
import { DateTime } from "luxon";
import type { Collection } from "mongodb";
import { type Period, periodKeys, startOfDay, startOfPeriod } from "./periods.js";
import type { RollupDay } from "./rollup.js";

/** Unique users in one period: the report's row, named as in the original use case. */
export interface UsageRow {
  /** The period's start, ISO 8601 in the configured zone. */
  timestamp: string;
  /** Its label: `2026-11-28`, `2026-W48`, `2026-11`, `2026-Q4` or `2026`. */
  period: string;
  /** Distinct users who logged in during the period (within the range). */
  user: number;
  logins: number;
  /** The period contains now, is cut by the range, or has days the job has not processed. */
  partial: boolean;
}

export interface UsageQuery {
  /** Inclusive; the rollup counts whole days, so the day containing `start` counts whole. */
  start: DateTime;
  /** Exclusive. */
  end: DateTime;
  aggregate: Period;
}

export interface UsageReport {
  rows: UsageRow[];
  /** Labels of periods in the range that have no processed day at all, so no row. */
  missing: string[];
  /** Time spent waiting for the database. */
  databaseMs: number;
}

/**
 * Counts distinct users per period over the rollup. The counting happens in the database: one row per
 * period comes back, whatever the log volume. Weeks, months, quarters and years are exact distinct counts
 * over the period, never sums of daily counts.
 */
export async function uniqueUsers(
  rollup: Collection<RollupDay>,
  query: UsageQuery,
  context: { zone: string; now: Date },
): Promise<UsageReport> {
  const { aggregate } = query;
  const firstDay = startOfDay(query.start, context.zone);
  const end = query.end.setZone(context.zone);
  const match = { $match: { _id: { $gte: firstDay.toJSDate(), $lt: end.toJSDate() } } };
  const began = Date.now();
  const [users, days] = await Promise.all([
    // A day's distinct users are stored with the day; longer periods are counted here, in the database.
    aggregate === "day"
      ? null
      : // FerretDB keeps only _id and the unwound field through $unwind, and computes only the first
        // accumulator of a $group: hence the period key inside each user entry, and one accumulator a stage.
        rollup
          .aggregate<{ _id: string; user: number }>([
            match,
            { $project: { users: 1 } },
            { $unwind: "$users" },
            { $group: { _id: { period: `$users.${aggregate}`, user: "$users.user" }, n: { $sum: 1 } } },
            { $group: { _id: "$_id.period", user: { $sum: 1 } } },
          ])
          .toArray(),
    rollup
      .find(match.$match, { projection: { _id: 1, [aggregate]: 1, logins: 1, distinctUsers: 1 } })
      .toArray() as Promise<Pick<RollupDay, "_id" | Period | "logins" | "distinctUsers">[]>,
  ]);
  const databaseMs = Date.now() - began;

  const processed = new Map<string, { days: number; logins: number }>();
  for (const day of days) {
    const seen = processed.get(day[aggregate]) ?? { days: 0, logins: 0 };
    seen.days++;
    seen.logins += day.logins;
    processed.set(day[aggregate], seen);
  }

  const periods = [];
  const missing: string[] = [];
  const now = context.now.getTime();
  for (let start = startOfPeriod(firstDay, aggregate); start < end; start = nextPeriod(start, aggregate)) {
    const label = periodKeys(start)[aggregate];
    const stats = processed.get(label);
    if (!stats) {
      missing.push(label);
      continue;
    }
    const periodEnd = nextPeriod(start, aggregate);
    const cut = start < firstDay || periodEnd > end;
    const current = start.toMillis() <= now && now < periodEnd.toMillis();
    const expectedDays = countMidnights(DateTime.max(start, firstDay), DateTime.min(periodEnd, end));
    periods.push({
      timestamp: start.toISO() as string,
      period: label,
      logins: stats.logins,
      partial: cut || current || stats.days < expectedDays,
    });
  }

  // Column-wise tables keep their columns even when empty.
  const counts = users ?? days.map((d) => ({ _id: d.day, user: d.distinctUsers }));
  const counted = table({ period: counts.map((u) => u._id), user: counts.map((u) => u.user) });
  const rows = table({
    timestamp: periods.map((p) => p.timestamp),
    period: periods.map((p) => p.period),
    logins: periods.map((p) => p.logins),
    partial: periods.map((p) => p.partial),
  })
    .join_left(counted, "period")
    .impute({ user: () => 0 })
    .orderby("timestamp")
    .select("timestamp", "period", "user", "logins", "partial")
    .objects() as UsageRow[];
  return { rows, missing, databaseMs };
}

function nextPeriod(start: DateTime, period: Period): DateTime {
  return startOfPeriod(start.plus({ [`${period}s`]: 1 }), period);
}

/** Local midnights in [from, to): the days a range holds. */
function countMidnights(from: DateTime, to: DateTime): number {
  let count = 0;
  for (let day = from.startOf("day"); day < to; day = day.plus({ days: 1 }).startOf("day")) {
    if (day >= from) count++;
  }
  return count;
}
