import type { DateTime } from "luxon";
import type { MongoClient } from "mongodb";
import type { HomeUsageConfig } from "./config.js";
import { type Cookie, createCookieStore, type RunCounts } from "./cookie.js";
import { formatNamespace, indexAdvice } from "./database.js";
import { countDays, type DayRange, parseDate, toDayRange } from "./date-range.js";
import { HomeUsageError } from "./errors.js";
import { acquireLock, type HeldLock, lockId } from "./lock.js";
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
  const last = startOfDay(options.end ?? now, zone);
  const end = last.plus({ days: 1 }).startOf("day");
  // Null: the run starts at the day of the oldest login, which the scan itself finds.
  const first = knownFirstDay(options, cookie, config, now);
  const rangeOf = (day: DateTime) =>
    toDayRange(day, last, {
      zone,
      now,
      startName: options.start ? "--start" : cookie?.offset ? "(the cookie's offset)" : "HOME_USAGE_START",
      endName: options.end ? "--end" : "today",
    });
  const range = first && rangeOf(first);
  const filter = {
    ...matcher.filter,
    created: range ? { $gte: range.first.toJSDate(), $lt: end.toJSDate() } : { $lt: end.toJSDate() },
  };
  const counts: RunCounts = { days: 0, records: 0, logins: 0, skipped: 0, users: 0 };
  const result = (fields: Partial<AggregationResult>): AggregationResult => ({
    ...counts,
    excluded: 0,
    dryRun: Boolean(options.dryRun),
    first: null,
    last: null,
    ...fields,
    elapsedMs: Date.now() - began,
  });
  const advise = async () => {
    const advice = await indexAdvice(source, config.source);
    if (advice) options.onNotice?.(advice);
  };

  if (options.dryRun) {
    await advise();
    const oldest = range
      ? null
      : await source
          .find(filter, { projection: { created: 1 } })
          .sort({ created: 1 })
          .next();
    const planned = range ?? (oldest?.created instanceof Date ? rangeOf(startOfDay(oldest.created, zone)) : null);
    if (!planned) return result({});
    const candidates = await source.countDocuments(filter);
    return result({ ...labels(planned), days: countDays(planned), candidates });
  }

  const lock = await acquireLock(cookieCollection, {
    name: lockId(config.jobName),
    leaseSeconds: config.lockLeaseSeconds,
    host: options.host,
    pid: options.pid,
  });
  const heartbeat = keepAlive(lock, config.lockLeaseSeconds);
  let excluded = 0;
  let buffer: DayBuffer | null = null;
  try {
    await advise();
    if (options.reset) {
      await cookies.reset(config.jobName);
      await rollup.clear();
    }
    const people = new Set<string>();
    let total = 0;
    const begin = async (run: DayRange) => {
      total = countDays(run);
      await cookies.startRun(config.jobName, { started: now, ...labels(run) });
      return new DayBuffer(run.first, async (day, users) => {
        heartbeat.check();
        const keys = periodKeys(day);
        const entries: UserDay[] = [...users.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([user, u]) => ({ user, ...u, ...keys }));
        const logins = entries.reduce((sum, u) => sum + u.logins, 0);
        await rollup.writeDays([
          {
            _id: day.toJSDate(),
            ...keys,
            timezone: zone,
            users: entries,
            distinctUsers: entries.length,
            logins,
            updated: clock(),
          },
        ]);
        counts.days++;
        counts.users = people.size;
        await cookies.advance(config.jobName, { instant: day.toJSDate(), day: keys.day, timezone: zone }, counts);
        options.onProgress?.({ ...counts, total, day: keys.day });
      });
    };
    if (range) buffer = await begin(range);

    const cursor = source.find(filter, { projection: matcher.projection }).sort({ created: 1 }).batchSize(10_000);
    for await (const record of cursor) {
      if (options.signal?.aborted) {
        const at = buffer ? periodKeys(buffer.day).day : "the start";
        throw new HomeUsageError("E_INTERRUPTED", `interrupted; the next run resumes at ${at}`);
      }
      counts.records++;
      const created = record.created;
      if (!(created instanceof Date) || Number.isNaN(created.getTime())) {
        counts.skipped++;
        continue;
      }
      buffer ??= await begin(rangeOf(startOfDay(created, zone)));
      await buffer.advanceTo(created);
      const user = matcher.userOf(record);
      if (user === null) {
        counts.skipped++;
      } else if (matcher.excludes(user)) {
        excluded++;
      } else {
        counts.logins++;
        people.add(user);
        buffer.add(user, created);
      }
    }
    if (!buffer) return result({});
    await buffer.advanceTo(end.toJSDate());
    counts.users = people.size;
    await cookies.finishRun(config.jobName, { finished: clock(), outcome: "done", ...counts });
    return result({ ...labels({ first: buffer.first, last }), excluded, dryRun: false });
  } catch (error) {
    if (buffer) {
      const message = error instanceof Error ? error.message : String(error);
      await cookies
        .finishRun(config.jobName, { finished: clock(), outcome: "failed", error: message, ...counts })
        .catch(() => {});
    }
    throw error;
  } finally {
    heartbeat.stop();
    await lock.release().catch(() => {});
  }
}

const labels = (range: DayRange) => ({ first: periodKeys(range.first).day, last: periodKeys(range.last).day });

/** One local day's logins at a time; each day is handed to `write` once the records have passed it. */
class DayBuffer {
  readonly first: DateTime;
  day: DateTime;
  private end: number;
  private users = new Map<string, { logins: number; first: Date; last: Date }>();

  constructor(
    first: DateTime,
    private readonly write: (day: DateTime, users: DayBuffer["users"]) => Promise<void>,
  ) {
    this.first = first;
    this.day = first;
    this.end = first.plus({ days: 1 }).startOf("day").toMillis();
  }

  /** Writes every day that ends at or before `instant`, empty ones included. */
  async advanceTo(instant: Date) {
    while (instant.getTime() >= this.end) {
      await this.write(this.day, this.users);
      this.day = this.day.plus({ days: 1 }).startOf("day");
      this.end = this.day.plus({ days: 1 }).startOf("day").toMillis();
      this.users = new Map();
    }
  }

  add(user: string, created: Date) {
    const seen = this.users.get(user);
    if (seen) {
      seen.logins++;
      seen.last = created;
    } else {
      this.users.set(user, { logins: 1, first: created, last: created });
    }
  }
}

/** The first day to process when it is known without reading the log. */
function knownFirstDay(options: AggregationOptions, cookie: Cookie | null, config: HomeUsageConfig, now: Date) {
  const zone = config.timezone;
  if (options.start) return startOfDay(options.start, zone);
  if (cookie?.offset) return startOfDay(cookie.offset, zone);
  if (config.start) return parseDate(config.start, { zone, now, name: "HOME_USAGE_START" });
  return null;
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
