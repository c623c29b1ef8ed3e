import { DateTime } from "luxon";
import type { MongoClient } from "mongodb";
import { collections } from "../collections.js";
import { formatNamespace } from "../database.js";
import { HomeUsageError } from "../errors.js";
import type { RollupSettings, RollupStore } from "../rollup/rollup.js";
import type { HomeUsageConfig } from "../settings/config.js";
import { nextDay, periodOf, periodsBetween } from "../time/periods.js";
import { type Cookie, checkCookie, type RunRecord } from "./cookie.js";
import type { LockDocument } from "./lock.js";

/** Where the job stands: its checkpoint, its last run, who runs it now, and what the rollup holds. */
export interface Status {
  job: string;
  source: string;
  target: string;
  periods: string;
  /** The configured zone; the rollup's own is in `rollup.timezone`. */
  timezone: string;
  offset: string | null;
  lastRun: RunRecord | null;
  /**
   * The last run says `running` but no run holds the lock: it ended without saying how (its process was
   * killed, or it lost the database before it could write its outcome).
   */
  lastRunLost: boolean;
  /** The cookie as stored, when it is damaged, and what is wrong with it. */
  cookieProblem: { stored: unknown; message: string } | null;
  lock: Pick<LockDocument, "host" | "pid" | "acquired" | "heartbeat" | "expires"> | null;
  /** Why the lock document cannot be read, when it is damaged: no run can start until it is removed. */
  lockProblem: string | null;
  rollup: {
    first: string | null;
    last: string | null;
    timezone: string | null;
    loginPreset: string | null;
    /** Stretches between the first and last processed day that were never processed. */
    unprocessed: { first: string; last: string; days: number }[];
    /** Why the rollup cannot be read, when it cannot (an older shape, a damaged document). */
    problem: string | null;
  };
  indexAdvice: string | null;
}

export async function readStatus(client: MongoClient, config: HomeUsageConfig): Promise<Status> {
  const { cookies, rollup: store, log } = collections(client, config);
  const [stored, lock, rollup, advice] = await Promise.all([
    cookies.raw(),
    cookies.readLock(new Date()).then(
      (held) => ({ held, problem: null }),
      (error: unknown) => {
        if (!(error instanceof HomeUsageError)) throw error;
        return { held: null, problem: error.message };
      },
    ),
    readRollup(store()),
    log.indexAdvice(),
  ]);
  let cookie: Cookie | null = null;
  let cookieProblem: Status["cookieProblem"] = null;
  try {
    cookie = stored && checkCookie(stored, cookies.where);
  } catch (error) {
    cookieProblem = { stored, message: (error as Error).message };
  }
  return {
    job: config.jobName,
    source: formatNamespace(config.source),
    target: formatNamespace(config.target),
    periods: formatNamespace(config.periods),
    timezone: config.timezone,
    offset: cookie?.offsetDay ?? null,
    lastRun: cookie?.lastRun ?? null,
    lastRunLost: cookie?.lastRun?.outcome === "running" && !lock.held && !lock.problem,
    cookieProblem,
    lock: lock.held && {
      host: lock.held.host,
      pid: lock.held.pid,
      acquired: lock.held.acquired,
      heartbeat: lock.held.heartbeat,
      expires: lock.held.expires,
    },
    lockProblem: lock.problem,
    rollup,
    indexAdvice: advice,
  };
}

async function readRollup(store: RollupStore): Promise<Status["rollup"]> {
  let settings: RollupSettings | null;
  try {
    settings = await store.settings();
  } catch (error) {
    if (!(error instanceof HomeUsageError)) throw error;
    return { first: null, last: null, timezone: null, loginPreset: null, unprocessed: [], problem: error.message };
  }
  const base = {
    first: settings?.first ?? null,
    last: settings?.last ?? null,
    timezone: settings?.timezone ?? null,
    loginPreset: settings?.login.preset ?? null,
    problem: null,
  };
  if (!settings?.first || !settings.last) return { ...base, unprocessed: [] };
  try {
    return { ...base, unprocessed: await unprocessedStretches(store, settings) };
  } catch (error) {
    if (!(error instanceof HomeUsageError)) throw error;
    return { ...base, unprocessed: [], problem: error.message };
  }
}

/**
 * The days between the first and last processed day that have no summary. Month summaries say which
 * months are complete, so only the pages of incomplete months are read.
 */
async function unprocessedStretches(store: RollupStore, settings: RollupSettings) {
  const zone = settings.timezone;
  const first = DateTime.fromISO(settings.first as string, { zone });
  const end = nextDay(DateTime.fromISO(settings.last as string, { zone }));
  const months = periodsBetween(first, end, "month");
  const monthSummaries = await store.summaries(months);
  const incomplete = months.filter((m) => {
    const from = DateTime.max(m.start, first);
    const to = DateTime.min(m.end, end);
    const expected = Math.round(to.diff(from, "days").days);
    return (monthSummaries.get(m.label)?.days ?? 0) < expected;
  });
  const daySummaries = await store.summaries(incomplete.map((m) => periodOf(m.start, "day")));
  const stretches: { first: string; last: string; days: number }[] = [];
  for (const month of incomplete) {
    const until = DateTime.min(month.end, end);
    for (let day: DateTime = DateTime.max(month.start, first); day < until; day = nextDay(day)) {
      const label = day.toISODate() as string;
      if (daySummaries.has(label)) continue;
      const open = stretches.at(-1);
      if (open && nextDay(DateTime.fromISO(open.last, { zone })).equals(day)) {
        open.last = label;
        open.days++;
      } else {
        stretches.push({ first: label, last: label, days: 1 });
      }
    }
  }
  return stretches;
}
