// An independent count of logins from the raw log, written plainly with luxon and none of home-usage's
// own modules, for the tests to compare the rollup and the reports with. Slow and obvious on purpose.
import { DateTime } from "luxon";

export interface Login {
  user: string;
  created: Date;
}

export type Kind = "day" | "week" | "month" | "quarter" | "year";

export interface OracleRow {
  period: string;
  user: number;
  logins: number;
  previous: number;
  new: number;
  returning: number;
  resurrected: number;
  dormant: number;
  dailyAverage: number;
  stickiness: number;
  active7?: number;
  active28?: number;
}

const FORMATS: Record<Kind, string> = {
  day: "yyyy-MM-dd",
  week: "kkkk-'W'WW",
  month: "yyyy-MM",
  quarter: "yyyy-'Q'q",
  year: "yyyy",
};

/** The label of the period of kind `kind` holding the local day `day`. */
export const labelOf = (day: DateTime, kind: Kind) => day.toFormat(FORMATS[kind]);

/**
 * Every period of `kind` with a processed day, from the days `first` to `last` (inclusive, all
 * processed), with the metrics as the issue defines them. With `part`, U(P) is restricted to the days
 * of P inside `part` (a period cut by a range); P′ and "seen before P" stay whole.
 */
export function oracle(
  logins: readonly Login[],
  options: { zone: string; first: string; last: string; kind: Kind; part?: { first: string; last: string } },
): OracleRow[] {
  const { zone, kind } = options;
  const days: DateTime[] = [];
  for (
    let d = DateTime.fromISO(options.first, { zone });
    d <= DateTime.fromISO(options.last, { zone });
    d = d.plus({ days: 1 }).startOf("day")
  ) {
    days.push(d);
  }
  const dayOf = (l: Login) => DateTime.fromJSDate(l.created).setZone(zone).toFormat("yyyy-MM-dd");
  const inRange = logins.filter((l) => dayOf(l) >= options.first && dayOf(l) <= options.last);
  const usersOn = new Map<string, Set<string>>();
  const loginsOn = new Map<string, number>();
  for (const l of inRange) {
    const d = dayOf(l);
    if (!usersOn.has(d)) usersOn.set(d, new Set());
    usersOn.get(d)?.add(l.user);
    loginsOn.set(d, (loginsOn.get(d) ?? 0) + 1);
  }
  const dayLabel = (d: DateTime) => d.toFormat("yyyy-MM-dd");
  const periodDays = new Map<string, DateTime[]>();
  for (const d of days) {
    const label = labelOf(d, kind);
    if (!periodDays.has(label)) periodDays.set(label, []);
    periodDays.get(label)?.push(d);
  }
  const peopleOf = (ds: DateTime[]) => {
    const set = new Set<string>();
    for (const d of ds) for (const u of usersOn.get(dayLabel(d)) ?? []) set.add(u);
    return set;
  };
  const firstLogin = new Map<string, string>();
  for (const l of [...inRange].sort((a, b) => a.created.getTime() - b.created.getTime())) {
    if (!firstLogin.has(l.user)) firstLogin.set(l.user, dayOf(l));
  }
  const rows: OracleRow[] = [];
  for (const [label, all] of periodDays) {
    // The period's true first day (it may start before `first`): P′ is the period holding the day before.
    const periodStart = kind === "week" ? all[0]?.startOf("week") : all[0]?.startOf(kind === "day" ? "day" : kind);
    const startLabel = dayLabel(periodStart as DateTime);
    const prevLabel = labelOf((periodStart as DateTime).minus({ days: 1 }), kind);
    const shown = options.part
      ? all.filter((d) => dayLabel(d) >= (options.part?.first ?? "") && dayLabel(d) <= (options.part?.last ?? ""))
      : all;
    if (shown.length === 0) continue;
    const u = peopleOf(shown);
    const before = peopleOf(periodDays.get(prevLabel) ?? []);
    const seenBefore = (user: string) => (firstLogin.get(user) ?? "9999") < startLabel;
    const isNew = [...u].filter((x) => !seenBefore(x)).length;
    const returning = [...u].filter((x) => before.has(x)).length;
    const dailyAverage = shown.reduce((sum, d) => sum + (usersOn.get(dayLabel(d))?.size ?? 0), 0) / shown.length;
    const row: OracleRow = {
      period: label,
      user: u.size,
      logins: shown.reduce((sum, d) => sum + (loginsOn.get(dayLabel(d)) ?? 0), 0),
      previous: before.size,
      new: isNew,
      returning,
      resurrected: [...u].filter((x) => !before.has(x) && seenBefore(x)).length,
      dormant: [...before].filter((x) => !u.has(x)).length,
      dailyAverage,
      stickiness: u.size ? dailyAverage / u.size : 0,
    };
    if (kind === "day") {
      const d = all[0] as DateTime;
      const window = (n: number) =>
        peopleOf(Array.from({ length: n }, (_, i) => d.minus({ days: i }).startOf("day"))).size;
      row.active7 = window(7);
      row.active28 = window(28);
    }
    rows.push(row);
  }
  return rows;
}

const fourPlaces = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Rows in the oracle's terms, the averages to four places as reports round them: a report's rows (which
 * carry more fields) and the oracle's own, so that a test compares like with like.
 */
export function comparable(rows: readonly OracleRow[], kind: Kind): OracleRow[] {
  return rows.map((r) => ({
    period: r.period,
    user: r.user,
    logins: r.logins,
    previous: r.previous,
    new: r.new,
    returning: r.returning,
    resurrected: r.resurrected,
    dormant: r.dormant,
    dailyAverage: fourPlaces(r.dailyAverage),
    stickiness: fourPlaces(r.stickiness),
    ...(kind === "day" ? { active7: r.active7, active28: r.active28 } : {}),
  }));
}
