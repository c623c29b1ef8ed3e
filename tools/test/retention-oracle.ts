// An independent retention count from the raw log, written plainly with luxon and none of home-usage's
// own modules, for the tests to compare the retention report with. Slow and obvious on purpose.
import { DateTime } from "luxon";
import type { Login } from "./oracle.js";

export interface RetentionOracleRow {
  cohort: string;
  size: number;
  k: number;
  period: string;
  active: number;
  share: number;
  partial: boolean;
}

const FORMATS = { week: "kkkk-'W'WW", month: "yyyy-MM" } as const;

/**
 * First-time cohorts as the issue defines them: a person's cohort is the week or month (in `zone`)
 * holding their first login on a processed day (`first` to `last`, inclusive); the cohorts are the
 * periods starting in `[start, end)`, and each has a row per k = 0..periods whose period has started by
 * `now`. `partial`: the period ends after `now`, or one of its days lies outside `first`..`last`.
 */
export function retentionOracle(
  logins: readonly Login[],
  options: {
    zone: string;
    first: string;
    last: string;
    kind: "week" | "month";
    start: string;
    end: string;
    periods: number;
    now: string;
  },
): RetentionOracleRow[] {
  const { zone, kind, periods } = options;
  const local = (d: Date) => DateTime.fromJSDate(d).setZone(zone);
  const dayOf = (d: Date) => local(d).toFormat("yyyy-MM-dd");
  const label = (dt: DateTime) => dt.toFormat(FORMATS[kind]);
  const processed = logins
    .filter((l) => dayOf(l.created) >= options.first && dayOf(l.created) <= options.last)
    .sort((a, b) => a.created.getTime() - b.created.getTime());

  const cohortOf = new Map<string, string>();
  const came = new Set<string>();
  for (const l of processed) {
    if (!cohortOf.has(l.user)) cohortOf.set(l.user, label(local(l.created)));
    came.add(`${l.user} ${label(local(l.created))}`);
  }

  const start = DateTime.fromISO(options.start, { zone });
  const end = DateTime.fromISO(options.end, { zone });
  const now = DateTime.fromISO(options.now, { zone });
  const step = kind === "week" ? { weeks: 1 } : { months: 1 };
  const unprocessed = (from: DateTime, to: DateTime) => {
    for (let d = from; d < to; d = d.plus({ days: 1 })) {
      const day = d.toFormat("yyyy-MM-dd");
      if (day < options.first || day > options.last) return true;
    }
    return false;
  };

  const rows: RetentionOracleRow[] = [];
  for (let c = start.startOf(kind); c < end; c = c.plus(step)) {
    if (c < start || c > now) continue;
    const members = [...cohortOf].filter(([, cohort]) => cohort === label(c)).map(([user]) => user);
    for (let k = 0; k <= periods; k++) {
      const p = c.plus(kind === "week" ? { weeks: k } : { months: k });
      if (p > now) break;
      const pEnd = p.plus(step);
      const active = members.filter((user) => came.has(`${user} ${label(p)}`)).length;
      rows.push({
        cohort: label(c),
        size: members.length,
        k,
        period: label(p),
        active,
        share: members.length ? active / members.length : 0,
        partial: pEnd > now || unprocessed(p, pEnd),
      });
    }
  }
  return rows;
}

/** Retention rows in the oracle's terms: a report's rows carry `cohortStart` too. */
export const comparableRetention = (rows: readonly RetentionOracleRow[]): RetentionOracleRow[] =>
  rows.map(({ cohort, size, k, period, active, share, partial }) => ({
    cohort,
    size,
    k,
    period,
    active,
    share,
    partial,
  }));
