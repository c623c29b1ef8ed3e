import type { DateTime } from "luxon";
import type { MongoClient } from "mongodb";
import { collections } from "../collections.js";
import { formatNamespace } from "../database.js";
import { HomeUsageError } from "../errors.js";
import type { LogReader } from "../log/log-reader.js";
import { compileLoginSignal, type LoginMatcher } from "../log/login-signal.js";
import { checkSecret, forgottenPeople } from "../privacy/forgotten-people.js";
import { rollupIdentity } from "../privacy/name-retention.js";
import { type PrivacyRecord, ROLLUP_SCHEMA, type RollupSettings, type RollupStore } from "../rollup/rollup.js";
import { clockOf, type HomeUsageConfig } from "../settings/config.js";
import { countDays, type DayRange, parseDate, toDayRange } from "../time/date-range.js";
import { nextDay, periodKeys, startOfDay } from "../time/periods.js";
import type { Cookie, CookieStore } from "./cookie.js";

/** What `planRun` needs of the run's options. */
export interface PlanOptions {
  start?: DateTime;
  end?: DateTime;
  client: MongoClient;
  config: HomeUsageConfig;
  clock?: () => Date;
  reset?: boolean;
  yes?: boolean;
  signal?: AbortSignal;
}

/** The processed days, as local-day labels. */
export interface Days {
  first: string | null;
  last: string | null;
}

/**
 * What a run will do, decided before the lock is taken and before anything is written: where it reads
 * and writes, what the rollup and the cookie hold, and which days it covers when that is known without
 * reading the log. Nothing in it changes during the run.
 */
export interface Plan {
  readonly config: HomeUsageConfig;
  readonly clock: () => Date;
  /** The run's "now": every day it computes is relative to it. */
  readonly now: Date;
  readonly zone: string;
  readonly log: LogReader;
  /** The job's checkpoint and lock. */
  readonly cookies: CookieStore;
  readonly store: RollupStore;
  readonly matcher: LoginMatcher;
  /** The login signal the rollup records it was built with. */
  readonly login: { preset: string; signal: unknown };
  /** The rollup's settings before the run; null when it is empty or being replaced by a --reset. */
  readonly settings: RollupSettings | null;
  /** The settings of the rollup a --reset replaces, when they can be read. */
  readonly replaced: RollupSettings | null;
  /** The days of the earlier build a --reset rebuilds in place, or null when it starts from empty. */
  readonly inPlace: { first: string; last: string } | null;
  /** The checkpoint before the run; null on a --reset. */
  readonly cookie: Cookie | null;
  /** The day after the run's last day. */
  readonly end: DateTime;
  /** The days to process, or null when they start at the oldest login record, not known yet. */
  readonly range: DayRange | null;
  /** The log records to read. */
  readonly filter: LoginMatcher["filter"] & { created: { $gte?: Date; $lt: Date } };
  /** The processed days before the run. */
  readonly extent: Days;
  /** The days the settings say are processed while the run goes on (a rebuild in place: the earlier build's). */
  readonly shown: Days;
  /** Whether a user is one of the people `forget` erased: their records are left out. */
  readonly forgotten: (user: string) => boolean;
  /** What the rollup keeps for privacy, before the run. */
  readonly privacy: PrivacyRecord | null;
  /** Who an entry's user is: a name and its pseudonym are one person. */
  readonly identity: (user: string) => string;
  /** With a name retention: documents of periods that ended by then get pseudonyms, not names. */
  readonly pseudonymsBefore?: DateTime;
  /** The days from `first` to the run's last day, refused when longer than the limit allows. */
  rangeOf(first: DateTime, from: string): DayRange;
}

/**
 * The first step of a run: reads the rollup's settings and the cookie, refuses what cannot be run
 * (another time zone or login signal, a damaged checkpoint, a range over the limit) and fixes the days.
 */
export async function planRun(options: PlanOptions): Promise<Plan> {
  const { client, config } = options;
  const clock = options.clock ?? clockOf(config);
  const now = clock();
  const zone = config.timezone;
  const { log, cookies, rollup } = collections(client, config);
  const store = rollup({ signal: options.signal });
  const matcher = compileLoginSignal(config.login);
  const login = { preset: config.loginPreset, signal: config.login };

  const settings = options.reset ? null : await store.settings();
  // The rollup a --reset replaces. It is rebuilt in place: every document is written over, so readers
  // never find it empty or missing days meanwhile, and what lies outside the new days goes at the end. A
  // rollup that cannot be read (an older shape, a damaged settings document) is cleared instead.
  const replaced = options.reset ? await readableSettings(store) : null;
  const inPlace = replaced?.first && replaced.last ? { first: replaced.first, last: replaced.last } : null;
  checkSettings(settings, { zone, login, target: formatNamespace(config.target) });
  // Kept through a --reset: who was forgotten stays forgotten, and expired names stay pseudonyms.
  const privacy = await store.privacy();
  const secret = config.pseudonymSecret;
  if (secret) checkSecret(privacy, secret);
  const forgotten = forgottenPeople(privacy, secret);
  const identity = rollupIdentity(privacy, secret);
  const retention = config.nameRetention;
  const pseudonymsBefore = retention === undefined ? undefined : startOfDay(now, zone).minus({ days: retention });

  const cookie = options.reset ? null : await cookies.read();
  checkNotAfterToday(cookie, settings, startOfDay(now, zone), config);
  const last = startOfDay(options.end ?? now, zone);
  const rangeOf = (first: DateTime, from: string) => {
    const range = toDayRange(first, last, { zone, now, startName: from, endName: options.end ? "--end" : "today" });
    checkLength(range, from, config.maxRunDays, Boolean(options.start && options.yes));
    return range;
  };
  const known = knownFirstDay(options, cookie, config, now);
  const range = known && rangeOf(known.day, known.from);
  const end = nextDay(last);
  const created = range ? { $gte: range.first.toJSDate(), $lt: end.toJSDate() } : { $lt: end.toJSDate() };
  const extent = { first: settings?.first ?? null, last: settings?.last ?? null };
  return {
    ...{ config, clock, now, zone, log, cookies, store, matcher, login },
    ...{ settings, replaced, inPlace, cookie, end, range, extent, rangeOf, forgotten },
    ...{ privacy, identity, pseudonymsBefore },
    filter: { ...matcher.filter, created },
    shown: inPlace ?? extent,
  };
}

/** What the rollup records of itself, with the processed days as of a checkpoint. */
export const settingsOf = (plan: Plan, days: Days, updated: Date): Omit<RollupSettings, "_id"> => ({
  schema: ROLLUP_SCHEMA,
  timezone: plan.zone,
  weekStart: "monday",
  login: plan.login,
  ...days,
  created: plan.settings?.created ?? plan.replaced?.created ?? plan.now,
  updated,
});

/** The days of a range, as labels. */
export const labels = (range: DayRange) => ({
  first: periodKeys(range.first).day,
  last: periodKeys(range.last).day,
});

/** The rollup's settings, or null when it is empty or cannot be read (then a rebuild clears it). */
async function readableSettings(store: RollupStore): Promise<RollupSettings | null> {
  try {
    return await store.settings();
  } catch (error) {
    if (error instanceof HomeUsageError && error.code === "E_STATE") return null;
    throw error;
  }
}

/** Refuses a rollup built with another time zone or login signal: mixing them gives wrong counts. */
function checkSettings(
  settings: RollupSettings | null,
  wanted: { zone: string; login: { preset: string; signal: unknown }; target: string },
) {
  if (!settings) return;
  if (settings.timezone !== wanted.zone) {
    throw new HomeUsageError(
      "E_STATE",
      `the rollup ${wanted.target} was built with time zone ${settings.timezone}, not ${wanted.zone}: run aggregate --reset to rebuild it in ${wanted.zone}`,
    );
  }
  if (JSON.stringify(settings.login) !== JSON.stringify(wanted.login)) {
    throw new HomeUsageError(
      "E_STATE",
      `the rollup ${wanted.target} was built with the login signal ${settings.login.preset}, not ${wanted.login.preset}: run aggregate --reset to rebuild it with ${wanted.login.preset}`,
    );
  }
}

/** Refuses a checkpoint or processed extent after today: a damaged document, or a clock gone back. */
function checkNotAfterToday(
  cookie: Cookie | null,
  settings: RollupSettings | null,
  today: DateTime,
  config: HomeUsageConfig,
) {
  if (cookie?.offset && startOfDay(cookie.offset, config.timezone) > today) {
    throw new HomeUsageError(
      "E_STATE",
      `the job's cookie ${formatNamespace(config.cookies)} (${config.jobName}) is damaged: offset holds ${cookie.offset.toISOString()}${cookie.offsetDay ? ` (offsetDay ${cookie.offsetDay})` : ""}, which is after today (${today.toISODate()}); repair it with home-usage aggregate --reset, or --start <day>`,
    );
  }
  if (settings?.last && settings.last > (today.toISODate() as string)) {
    throw new HomeUsageError(
      "E_STATE",
      `the rollup's settings (${formatNamespace(config.periods)}) are damaged: last holds ${settings.last}, which is after today (${today.toISODate()}); rebuild the rollup with home-usage aggregate --reset`,
    );
  }
}

/** Refuses a run longer than the limit unless its start was given explicitly and confirmed. */
function checkLength(range: DayRange, from: string, maxDays: number, confirmed: boolean) {
  const days = countDays(range);
  if (days <= maxDays || confirmed) return;
  const fix =
    from === "--start"
      ? "add --yes to process them anyway"
      : from.startsWith("the oldest")
        ? "if that record's date is wrong, give --start <day> (and --yes for a long range), or set HOME_USAGE_START"
        : from === "HOME_USAGE_START"
          ? "set HOME_USAGE_START to a later day"
          : "repair it with home-usage aggregate --reset, or --start <day>";
  throw new HomeUsageError(
    "E_USAGE",
    `the run would process ${days} days (${periodKeys(range.first).day} to ${periodKeys(range.last).day}), more than the limit of ${maxDays} (HOME_USAGE_MAX_RUN_DAYS); its start comes from ${from}: ${fix}`,
  );
}

/** The first day to process when it is known without reading the log, and where it comes from. */
function knownFirstDay(options: PlanOptions, cookie: Cookie | null, config: HomeUsageConfig, now: Date) {
  const zone = config.timezone;
  if (options.start) return { day: startOfDay(options.start, zone), from: "--start" };
  if (cookie?.offset) return { day: startOfDay(cookie.offset, zone), from: "the cookie's offset" };
  if (config.start)
    return { day: parseDate(config.start, { zone, now, name: "HOME_USAGE_START" }), from: "HOME_USAGE_START" };
  return null;
}
