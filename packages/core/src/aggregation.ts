import type { DateTime } from "luxon";
import type { Collection, Document, MongoClient } from "mongodb";
import type { HomeUsageConfig } from "./config.js";
import { type Cookie, createCookieStore, type RunCounts } from "./cookie.js";
import { formatNamespace, indexAdvice } from "./database.js";
import { countDays, parseDate, toDayRange } from "./date-range.js";
import { HomeUsageError } from "./errors.js";
import { acquireLock, type HeldLock, type LockDocument } from "./lock.js";
import { compileLoginSignal, type LogRecord } from "./login-signal.js";
import { periodKeys, startOfDay } from "./periods.js";
import { createRollupStore, type RollupDay, type UserDay } from "./rollup.js";

/** The days a run was asked for, read from the user's words before anything touches the database. */
export interface RunDates {
  start?: DateTime;
  end?: DateTime;
}

/** Reads `--start` and `--end`; checks what can be checked without the database. */
export function parseRunDates(input: { start?: string; end?: string }, options: { zone: string; now: Date }): RunDates {
  const start = input.start === undefined ? undefined : parseDate(input.start, { ...options, name: "--start" });
  const end = input.end === undefined ? undefined : parseDate(input.end, { ...options, name: "--end" });
  if (end) toDayRange(start ?? end, end, { ...options, startName: "--start", endName: "--end" });
  return { start, end };
}

export interface AggregationProgress extends RunCounts {
  /** Days in the run. */
  total: number;
  /** The last day written. */
  day: string;
}

export interface AggregationOptions extends RunDates {
  client: MongoClient;
  config: HomeUsageConfig;
  /** The current time. @default config.now, else the wall clock */
  clock?: () => Date;
  /** Forget the checkpoint and the rollup, and start again from the configured start. */
  reset?: boolean;
  /** Report what would be processed, and write nothing. */
  dryRun?: boolean;
  /** Who runs, for the lock. */
  host: string;
  pid: number;
  onProgress?: (progress: AggregationProgress) => void;
  /** Stops the run between two records; what is written stays, the lock is released. */
  signal?: AbortSignal;
  /** Advice for the operator, said once per run. */
  onNotice?: (message: string) => void;
}

export interface AggregationResult extends RunCounts {
  dryRun: boolean;
  /** The days covered, or null when there was nothing to process. */
  first: string | null;
  last: string | null;
  /** Login records in the range (a dry run counts them instead of reading them). */
  candidates?: number;
  excluded: number;
  elapsedMs: number;
}

/** Where the days to process come from, when `--start` is not given. */
type StartSource = "--start" | "cookie" | "HOME_USAGE_START" | "oldest login" | "none";

/**
 * Reads the login records of a range of local days in one ascending pass, and writes each day's rollup
 * as soon as the day is complete, advancing the cookie only after the day is written: a run killed at any
 * instant loses nothing, and the next one repeats at most one day.
 */
export async function runAggregation(options: AggregationOptions): Promise<AggregationResult> {
  const began = Date.now();
  const { client, config } = options;
  const clock = options.clock ?? (() => config.now ?? new Date());
  const now = clock();
  const zone = config.timezone;
  const source = client.db(config.source.db).collection<LogRecord>(config.source.collection);
  const cookieCollection = client.db(config.cookies.db).collection<Cookie>(config.cookies.collection);
  const cookies = createCookieStore(cookieCollection);
  const rollup = createRollupStore(client.db(config.target.db).collection<RollupDay>(config.target.collection));
  const matcher = compileLoginSignal(config.login);

  const builtIn = await rollup.timezone();
  if (builtIn && builtIn !== zone && !options.reset) {
    throw new HomeUsageError(
      "E_STATE",
      `the rollup ${formatNamespace(config.target)} was built with time zone ${builtIn}, not ${zone}: run aggregate --reset to rebuild it in ${zone}`,
    );
  }

  const cookie = options.reset ? null : await cookies.read(config.jobName);
  const { first, from } = await firstDay(options, cookie, config, source, matcher.filter, now);
  const counts: RunCounts = { days: 0, records: 0, logins: 0, skipped: 0, users: 0 };
  const empty = { ...counts, excluded: 0, dryRun: Boolean(options.dryRun), first: null, last: null };
  if (!first) return { ...empty, elapsedMs: Date.now() - began };
  const range = toDayRange(first, options.end ?? startOfDay(now, zone), {
    zone,
    now,
    startName: from === "--start" ? "--start" : `(from the ${from})`,
    endName: options.end ? "--end" : "today",
  });
  const label = { first: periodKeys(range.first).day, last: periodKeys(range.last).day };
  const filter = {
    ...matcher.filter,
    created: { $gte: range.first.toJSDate(), $lt: range.last.plus({ days: 1 }).startOf("day").toJSDate() },
  };

  const advise = async () => {
    const advice = await indexAdvice(source as unknown as Collection<Document>, formatNamespace(config.source));
    if (advice) options.onNotice?.(advice);
  };

  if (options.dryRun) {
    await advise();
    const candidates = await source.countDocuments(filter);
    return { ...empty, ...label, days: countDays(range), candidates, elapsedMs: Date.now() - began };
  }

  const lockCollection = cookieCollection as unknown as Collection<LockDocument>;
  const lock = await acquireLock(lockCollection, {
    name: `${config.jobName}.lock`,
    leaseSeconds: config.lockLeaseSeconds,
    host: options.host,
    pid: options.pid,
  });
  const heartbeat = keepAlive(lock, config.lockLeaseSeconds);
  let excluded = 0;
  try {
    await advise();
    if (options.reset) {
      await cookies.reset(config.jobName);
      await rollup.clear();
    }
    await cookies.startRun(config.jobName, { started: now, ...label });
    const total = countDays(range);
    const people = new Set<string>();
    let day = range.first;
    let dayEnd = day.plus({ days: 1 }).startOf("day").toMillis();
    let bucket = new Map<string, { logins: number; first: Date; last: Date }>();

    const writeDay = async () => {
      heartbeat.check();
      const keys = periodKeys(day);
      const users: UserDay[] = [...bucket.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([user, u]) => ({ user, logins: u.logins, first: u.first, last: u.last, ...keys }));
      const logins = users.reduce((sum, u) => sum + u.logins, 0);
      await rollup.writeDays([{ _id: day.toJSDate(), ...keys, timezone: zone, users, logins, updated: clock() }]);
      counts.days++;
      counts.users = people.size;
      await cookies.advance(config.jobName, { instant: day.toJSDate(), day: keys.day, timezone: zone }, counts);
      options.onProgress?.({ ...counts, total, day: keys.day });
      day = day.plus({ days: 1 }).startOf("day");
      dayEnd = day.plus({ days: 1 }).startOf("day").toMillis();
      bucket = new Map();
    };

    const cursor = source.find(filter, { projection: matcher.projection }).sort({ created: 1 }).batchSize(10_000);
    for await (const record of cursor) {
      if (options.signal?.aborted) {
        throw new HomeUsageError("E_INTERRUPTED", `interrupted; the next run resumes at ${periodKeys(day).day}`);
      }
      counts.records++;
      const created = record.created;
      if (!(created instanceof Date) || Number.isNaN(created.getTime())) {
        counts.skipped++;
        continue;
      }
      while (created.getTime() >= dayEnd) await writeDay();
      const user = matcher.userOf(record);
      if (user === null) {
        counts.skipped++;
        continue;
      }
      if (matcher.excludes(user)) {
        excluded++;
        continue;
      }
      counts.logins++;
      people.add(user);
      const seen = bucket.get(user);
      if (seen) {
        seen.logins++;
        seen.last = created;
      } else {
        bucket.set(user, { logins: 1, first: created, last: created });
      }
    }
    while (day <= range.last) await writeDay();
    counts.users = people.size;
    await cookies.finishRun(config.jobName, { finished: clock(), outcome: "done", ...counts });
    return { ...counts, ...label, excluded, dryRun: false, elapsedMs: Date.now() - began };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await cookies
      .finishRun(config.jobName, { finished: clock(), outcome: "failed", error: message, ...counts })
      .catch(() => {});
    throw error;
  } finally {
    heartbeat.stop();
    await lock.release().catch(() => {});
  }
}

async function firstDay(
  options: AggregationOptions,
  cookie: Cookie | null,
  config: HomeUsageConfig,
  source: Collection<LogRecord>,
  filter: object,
  now: Date,
): Promise<{ first: DateTime | null; from: StartSource }> {
  const zone = config.timezone;
  if (options.start) return { first: startOfDay(options.start, zone), from: "--start" };
  if (cookie?.offset) return { first: startOfDay(cookie.offset, zone), from: "cookie" };
  if (config.start) {
    return { first: parseDate(config.start, { zone, now, name: "HOME_USAGE_START" }), from: "HOME_USAGE_START" };
  }
  const oldest = await source
    .find(filter, { projection: { _id: 0, created: 1 } })
    .sort({ created: 1 })
    .limit(1)
    .next();
  if (oldest?.created instanceof Date) return { first: startOfDay(oldest.created, zone), from: "oldest login" };
  return { first: null, from: "none" };
}

/** Renews the lease in the background; `check` rethrows a failed renewal in the run's own flow. */
function keepAlive(lock: HeldLock, leaseSeconds: number) {
  let failure: unknown = null;
  const timer = setInterval(
    () => {
      lock.renew().catch((error) => {
        failure = error;
      });
    },
    (leaseSeconds * 1000) / 3,
  );
  timer.unref();
  return {
    check() {
      if (failure) throw failure;
    },
    stop: () => clearInterval(timer),
  };
}
