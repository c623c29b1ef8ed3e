import { DateTime } from "luxon";
import type { MongoClient } from "mongodb";
import { renderChart } from "../chart/chart.js";
import { renderPng } from "../chart/chart-png.js";
import { collections } from "../collections.js";
import { HomeUsageError } from "../errors.js";
import { NO_ACCOUNT, NO_GROUP, readGroups } from "../report/group-report.js";
import { readUsage, rollupZone, type UsageRow } from "../report/usage-report.js";
import type { HomeUsageConfig } from "../settings/config.js";
import { type PeriodSpan, periodOf, previousPeriod } from "../time/periods.js";

/** The periods a digest reports: the last complete week or month. */
export type DigestPeriod = "week" | "month";

/** Periods the digest's chart shows, the reported one last. */
export const CHART_PERIODS = 12;
/** The most groups a digest names. */
export const DIGEST_GROUPS = 5;

/** What a digest says, whatever it is sent to. It names no person. */
export interface DigestContent {
  kind: DigestPeriod;
  /** `2026-W49`, `2026-11`. */
  label: string;
  /** The period as people read it: `week 49 of 2026 (30 Nov – 6 Dec)`, `November 2026`. */
  title: string;
  /** Its first and last day, and the day after it (`YYYY-MM-DD`). */
  first: string;
  last: string;
  end: string;
  zone: string;
  people: number;
  logins: number;
  /** Distinct people of the period before. */
  previous: number;
  /** The change from the period before, in whole percent; null when nobody came then. */
  change: number | null;
  lifecycle: Pick<UsageRow, "new" | "returning" | "resurrected" | "dormant">;
  /** The largest core4 groups of the period (at most 5), none smaller than `minGroupSize`. */
  groups: { name: string; people: number }[];
  /** Groups with people that are not named: beyond the largest, or too small to show. */
  otherGroups: number;
  minGroupSize: number;
  /** The chart: the last 12 periods, the reported one last. */
  chart: { first: string; rows: UsageRow[]; png: { light: Buffer; dark: Buffer } };
}

/**
 * The digest of the last complete week or month before `now`, in the rollup's zone. Refused (`E_STATE`)
 * while the job has not processed every day of it, or has days to repair in it.
 */
export async function readDigest(
  client: MongoClient,
  config: HomeUsageConfig,
  kind: DigestPeriod,
  now: Date,
): Promise<DigestContent> {
  const { rollup, accounts, cookies } = collections(client, config);
  const store = rollup({ maxTimeMS: config.queryTimeoutMs });
  const [settings, cookie] = await Promise.all([store.settings(), cookies.read({ maxTimeMS: config.queryTimeoutMs })]);
  const zone = rollupZone(settings, config);
  const span = previousPeriod(periodOf(DateTime.fromJSDate(now).setZone(zone), kind));
  const last = span.end.minus({ days: 1 }).toFormat("yyyy-MM-dd");
  checkProcessed(span, last, settings?.last ?? null, cookie?.repairFrom);
  let chartStart = span;
  for (let i = 1; i < CHART_PERIODS; i++) chartStart = previousPeriod(chartStart);
  const query = { start: chartStart.start, end: span.end, aggregate: kind };
  const single = { start: span.start, end: span.end, aggregate: kind };
  const context = { zone, minGroupSize: config.minGroupSize, maxTimeMS: config.queryTimeoutMs };
  const [usage, groups] = await Promise.all([
    readUsage(store, settings, query, { now, zone }),
    readGroups(store, settings, accounts, single, context),
  ]);
  const row = usage.rows.find((r) => r.period === span.label);
  if (!row || row.unprocessedDays > 0) {
    throw new HomeUsageError(
      "E_STATE",
      `the ${kind} ${span.label} has days not processed yet: run home-usage aggregate first; nothing was sent`,
    );
  }
  const named = groups.rows.filter((g) => g.group !== NO_GROUP && g.group !== NO_ACCOUNT && (g.user ?? 1) > 0);
  const shown = named
    .filter((g): g is typeof g & { user: number } => g.user !== null)
    .sort((a, b) => b.user - a.user || (a.group < b.group ? -1 : 1))
    .slice(0, DIGEST_GROUPS);
  return {
    kind,
    label: span.label,
    title: periodTitle(span),
    first: span.start.toFormat("yyyy-MM-dd"),
    last,
    end: span.end.toFormat("yyyy-MM-dd"),
    zone,
    people: row.user,
    logins: row.logins,
    previous: row.previous,
    change: row.previous ? Math.round(((row.user - row.previous) / row.previous) * 100) : null,
    lifecycle: { new: row.new, returning: row.returning, resurrected: row.resurrected, dormant: row.dormant },
    groups: shown.map((g) => ({ name: g.group, people: g.user })),
    otherGroups: named.length - shown.length,
    minGroupSize: config.minGroupSize,
    chart: {
      first: chartStart.start.toFormat("yyyy-MM-dd"),
      rows: usage.rows,
      png: await chartPngs(usage.rows, kind, chartStart, last, zone, usage.asOf ?? now),
    },
  };
}

/** Refuses a period the job has not processed every day of, or has days to repair in. */
function checkProcessed(span: PeriodSpan, last: string, processed: string | null, repairFrom: string | undefined) {
  let why: string | undefined;
  if (!processed) why = "the rollup is empty";
  else if (processed < last) why = `the rollup holds the days through ${processed}`;
  else if (repairFrom !== undefined && repairFrom <= last) why = `the days from ${repairFrom} are to be repaired`;
  if (why) {
    throw new HomeUsageError(
      "E_STATE",
      `the ${span.kind} ${span.label} has days not processed yet (${why}): run home-usage aggregate first; nothing was sent`,
    );
  }
}

/** The period as a person reads it. */
export function periodTitle(span: PeriodSpan): string {
  if (span.kind !== "week") return span.start.setLocale("en-GB").toFormat("LLLL yyyy");
  const last = span.end.minus({ days: 1 }).setLocale("en-GB");
  const first = span.start.setLocale("en-GB");
  const from = first.month === last.month ? first.toFormat("d") : first.toFormat("d LLL");
  return `week ${span.start.weekNumber} of ${span.start.weekYear} (${from} – ${last.toFormat("d LLL")})`;
}

/** The chart of distinct people per period, as PNG, light and dark (a mail shows the one its reader's theme asks for). */
async function chartPngs(
  rows: UsageRow[],
  kind: DigestPeriod,
  first: PeriodSpan,
  last: string,
  zone: string,
  asOf: Date,
): Promise<{ light: Buffer; dark: Buffer }> {
  const range = {
    start: first.start.toFormat("yyyy-MM-dd"),
    end: last,
    zone,
    asOf: new Intl.DateTimeFormat("sv-SE", { timeZone: zone, dateStyle: "short", timeStyle: "short" }).format(asOf),
  };
  const [light, dark] = await Promise.all(
    (["light", "dark"] as const).map(async (theme) =>
      renderPng(await renderChart(rows, { aggregate: kind, range, theme, width: 640, height: 320 }), { scale: 2 }),
    ),
  );
  return { light: light as Buffer, dark: dark as Buffer };
}
