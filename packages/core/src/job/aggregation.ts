import type { DateTime } from "luxon";
import type { Collection, MongoClient } from "mongodb";
import { formatNamespace, indexAdvice, lostDatabase } from "../database.js";
import { HomeUsageError } from "../errors.js";
import { compileLoginSignal, frequentMessages, type LoginMatcher, type LogRecord } from "../log/login-signal.js";
import type { DayEntry } from "../rollup/people.js";
import { openRollupStore, ROLLUP_SCHEMA, type RollupSettings, type RollupStore } from "../rollup/rollup.js";
import { RollupBuilder } from "../rollup/rollup-builder.js";
import type { HomeUsageConfig } from "../settings/config.js";
import { countDays, type DayRange, parseDate, toDayRange } from "../time/date-range.js";
import { nextDay, periodKeys, startOfDay } from "../time/periods.js";
import { type Cookie, createCookieStore, type RunCounts, type SignalCount, type SkippedBy } from "./cookie.js";
import { acquireLock, type HeldLock, lockId } from "./lock.js";

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
  /** The last day read. */
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
  /** Allow a run longer than `config.maxRunDays` when its start was given explicitly. */
  yes?: boolean;
  /** Who runs, for the lock. */
  host: string;
  pid: number;
  onProgress?: (progress: AggregationProgress) => void;
  /** Stops the run at the next record or day; what is written stays, the lock is released. */
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
  /**
   * Of `skipped`, the records of each reason: `created` not a valid date (counted over the whole log in a
   * run that starts from the oldest login record, since a range of days cannot hold them), no usable
   * user name, or a name longer than `MAX_NAME_LENGTH`.
   */
  skippedBy: SkippedBy;
  /** Processed days after the run's range whose periods were brought up to date. */
  refreshed: number;
  /** Logins counted, per login signal that matched them, in the order the signal tries them. */
  signals: SignalCount[];
  /**
   * When the log had no login records in the range: the signals looked for, and the log's most frequent
   * messages, so the operator can write a pattern.
   */
  noLogins?: { signals: string[]; messages: { message: string; count: number }[] };
  elapsedMs: number;
}

/**
 * Reads the login records of a range of local days in one ascending pass into the rollup: each day's
 * people, the people of every week, month, quarter and year, and their summaries. What is read is
 * written at checkpoints, then the cookie moves: a run killed at any instant loses nothing, and the
 * next one redoes at most one checkpoint's work.
 */
export async function runAggregation(options: AggregationOptions): Promise<AggregationResult> {
  try {
    return await aggregate(options);
  } catch (error) {
    // Stopped before the run began (its first reads are aborted too): nothing was written.
    if (options.signal?.aborted && !(error instanceof HomeUsageError && error.code === "E_INTERRUPTED")) {
      throw new HomeUsageError("E_INTERRUPTED", "interrupted before the run began; nothing was written", {
        cause: error,
      });
    }
    throw error;
  }
}

async function aggregate(options: AggregationOptions): Promise<AggregationResult> {
  const began = Date.now();
  const { client, config } = options;
  const clock = options.clock ?? (() => config.now ?? new Date());
  const now = clock();
  const zone = config.timezone;
  const source = client.db(config.source.db).collection<LogRecord>(config.source.collection);
  const cookieCollection = client.db(config.cookies.db).collection<Cookie>(config.cookies.collection);
  const cookies = createCookieStore(cookieCollection, formatNamespace(config.cookies));
  const store = openRollupStore(client, config, { signal: options.signal });
  const matcher = compileLoginSignal(config.login);
  const login = { preset: config.loginPreset, signal: config.login };

  const settings = options.reset ? null : await store.settings();
  // The rollup a --reset replaces. It is rebuilt in place: every document is written over, so readers
  // never find it empty or missing days meanwhile, and what lies outside the new days goes at the end. A
  // rollup that cannot be read (an older shape, a damaged settings document) is cleared instead.
  const replaced = options.reset ? await readableSettings(store) : null;
  const inPlace = replaced?.first && replaced.last ? { first: replaced.first, last: replaced.last } : null;

  checkSettings(settings, { zone, login, target: formatNamespace(config.target) });

  const cookie = options.reset ? null : await cookies.read(config.jobName);
  const today = startOfDay(now, zone);
  if (cookie?.offset && startOfDay(cookie.offset, zone) > today) {
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
  const last = startOfDay(options.end ?? now, zone);
  const end = nextDay(last);
  const known = knownFirstDay(options, cookie, config, now);
  const rangeOf = (first: DateTime, from: string) => {
    const range = toDayRange(first, last, {
      zone,
      now,
      startName: from,
      endName: options.end ? "--end" : "today",
    });
    checkLength(range, from, config.maxRunDays, Boolean(options.start && options.yes));
    return range;
  };
  const range = known && rangeOf(known.day, known.from);
  const filter = {
    ...matcher.filter,
    created: range ? { $gte: range.first.toJSDate(), $lt: end.toJSDate() } : { $lt: end.toJSDate() },
  };
  const counts: RunCounts = { days: 0, records: 0, logins: 0, skipped: 0, users: 0 };
  const skippedBy: SkippedBy = { created: 0, user: 0, tooLong: 0 };
  let excluded = 0;
  let refreshed = 0;
  const signalCounts = new Map(matcher.signals.map((name) => [name, 0]));
  const signals = (): SignalCount[] => [...signalCounts].map(([signal, logins]) => ({ signal, logins }));
  const result = (fields: Partial<AggregationResult>): AggregationResult => ({
    ...counts,
    excluded,
    skippedBy: { ...skippedBy },
    refreshed,
    signals: signals(),
    dryRun: Boolean(options.dryRun),
    first: null,
    last: null,
    ...fields,
    elapsedMs: Date.now() - began,
  });
  // Said when nothing matched: what was looked for, and what the log does say most often.
  const noLoginsHint = async () => ({
    signals: matcher.signals,
    messages: await frequentMessages(source, { limit: 3, maxTimeMS: config.queryTimeoutMs }).catch(() => []),
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
    const planned =
      range ??
      (oldest?.created instanceof Date && !Number.isNaN(oldest.created.getTime())
        ? rangeOf(startOfDay(oldest.created, zone), `the oldest login record (created ${oldest.created.toISOString()})`)
        : null);
    if (!planned) return result({ noLogins: await noLoginsHint() });
    const candidates = await source.countDocuments(filter);
    if (!range)
      skippedBy.created = await countUndated(source, matcher.filter, {
        maxTimeMS: config.queryTimeoutMs,
        signal: options.signal,
      });
    return result({ ...labels(planned), days: countDays(planned), candidates });
  }

  const lock = await acquireLock(cookieCollection, {
    name: lockId(config.jobName),
    namespace: config.cookies,
    leaseSeconds: config.lockLeaseSeconds,
    host: options.host,
    pid: options.pid,
  });
  const heartbeat = keepAlive(lock, config.lockLeaseSeconds);
  // A run killed at any instant redoes at most this much work.
  const checkpointMs = config.checkpointMs;
  let run: Run | null = null;
  let resumeDay = cookie?.offsetDay ?? null;
  const stopIfAsked = () => {
    if (options.signal?.aborted) {
      throw new HomeUsageError(
        "E_INTERRUPTED",
        `interrupted; the next run resumes at ${resumeDay ?? "the start, as nothing was written"}`,
      );
    }
  };
  // Forgets the checkpoint only once a run has been accepted (its range checked), so that a refused
  // --reset changes nothing.
  const forget = async () => {
    await cookies.reset(config.jobName);
    if (!inPlace) await store.clear();
  };
  try {
    await advise();
    const extent = { first: settings?.first ?? null, last: settings?.last ?? null };
    // The days the settings say are processed, while a rebuild in place goes on: the earlier build's too.
    const shown = inPlace ?? extent;
    // What the rollup records of itself, with the processed extent as of a checkpoint.
    const settingsOf = (first: string | null, last: string | null, updated: Date) => ({
      schema: ROLLUP_SCHEMA,
      timezone: zone,
      weekStart: "monday" as const,
      login,
      first,
      last,
      created: settings?.created ?? replaced?.created ?? now,
      updated,
    });
    const offsetDay = cookie?.offsetDay ?? null;
    const people = new Set<string>();

    const begin = async (days: DayRange): Promise<Run> => {
      const first = labels(days).first;
      // A run that rewrites days before the checkpoint (a backfill) must bring every later period up
      // to date; until it has, the cookie says from where, so a killed backfill is finished later.
      const repairFrom = [cookie?.repairFrom, offsetDay && first < offsetDay ? first : undefined]
        .filter((d): d is string => Boolean(d))
        .sort()[0];
      if (repairFrom && repairFrom < first)
        rangeOf(parseDate(repairFrom, { zone, now, name: "repairFrom" }), "the cookie's repairFrom");
      if (options.reset) await forget();
      await cookies.startRun(config.jobName, { started: now, ...labels(days) }, repairFrom);
      if (!settings && !inPlace) {
        await store.writeSettings(settingsOf(null, null, now));
      }
      const builder = new RollupBuilder(store, { extent, clock, zone, replacing: inPlace ?? undefined });
      const from =
        repairFrom && repairFrom < first
          ? startOfDay(parseDate(repairFrom, { zone, now, name: "repairFrom" }), zone)
          : days.first;
      await builder.begin(from);
      // Days from an unfinished backfill up to this run's first day: read back, not rewritten.
      for (let day = from; day < days.first; day = nextDay(day)) {
        stopIfAsked();
        builder.addDay(day, (await store.day(periodKeys(day).day))?.users ?? null, false);
        refreshed++;
      }
      return {
        builder,
        days,
        total: countDays(days),
        current: null,
        written: null,
        lastCheckpoint: Date.now(),
        repairFrom,
      };
    };

    const checkpoint = async (r: Run, force = false) => {
      const due = Date.now() - r.lastCheckpoint >= checkpointMs || r.builder.pending >= CHECKPOINT_DOCUMENTS;
      if (!force && !due) return;
      heartbeat.check();
      await r.builder.flush();
      if (r.written) {
        const written = r.written;
        await store.writeSettings(
          settingsOf(
            [shown.first, labels(r.days).first].filter((d): d is string => Boolean(d)).sort()[0] ?? null,
            [shown.last, written]
              .filter((d): d is string => Boolean(d))
              .sort()
              .at(-1) ?? null,
            clock(),
          ),
        );
        const forward = !offsetDay || written >= offsetDay;
        const at = startOfDay(parseDate(written, { zone, now, name: "day" }), zone);
        await cookies.advance(
          config.jobName,
          forward ? { instant: at.toJSDate(), day: written, timezone: zone } : null,
          { ...counts, users: people.size, signals: signals(), skippedBy },
        );
        if (forward) resumeDay = written;
      }
      r.lastCheckpoint = Date.now();
    };

    /** Completes every day before `until` (empty ones included), checking for a stop between days. */
    const completeUntil = async (r: Run, until: DateTime) => {
      while ((r.current?.day ?? r.days.first) < until) {
        stopIfAsked();
        const day = r.current?.day ?? r.days.first;
        const entries = r.current ? [...r.current.users.entries()].map(([user, u]) => ({ user, ...u })) : [];
        entries.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
        r.builder.addDay(day, entries, true);
        r.written = periodKeys(day).day;
        counts.days++;
        options.onProgress?.({ ...counts, users: people.size, total: r.total, day: r.written });
        r.current = { day: nextDay(day), users: new Map() };
        await checkpoint(r);
      }
    };

    if (range) run = await begin(range);
    else {
      // A range of days cannot hold records without a valid date: counted once, in a run over the whole log.
      skippedBy.created = await countUndated(source, matcher.filter, {
        maxTimeMS: config.queryTimeoutMs,
        signal: options.signal,
      });
      counts.records += skippedBy.created;
      counts.skipped += skippedBy.created;
    }
    // The signal reaches the database too: a stop must not wait for the scan's first batch.
    const cursor = source
      .find(filter, { projection: matcher.projection, ...(options.signal ? { signal: options.signal } : {}) })
      .sort({ created: 1 })
      .batchSize(LOG_BATCH);
    // The end of the day being read, as a number: most records fall in it, and need no calendar at all.
    let dayEnd = Number.NEGATIVE_INFINITY;
    for await (const record of readAhead(cursor, LOG_BATCH)) {
      stopIfAsked();
      counts.records++;
      const created = record.created;
      if (!(created instanceof Date) || Number.isNaN(created.getTime())) {
        counts.skipped++;
        skippedBy.created++;
        continue;
      }
      if (!run || created.getTime() >= dayEnd) {
        run ??= await begin(
          rangeOf(startOfDay(created, zone), `the oldest login record (created ${created.toISOString()})`),
        );
        await completeUntil(run, startOfDay(created, zone));
        dayEnd = nextDay(run.current?.day ?? run.days.first).toMillis();
      }
      const hit = matcher.match(record);
      if (hit === null) {
        counts.skipped++;
        skippedBy.user++;
      } else if (hit.user.length > MAX_NAME_LENGTH) {
        counts.skipped++;
        skippedBy.tooLong++;
      } else if (matcher.excludes(hit.user)) {
        excluded++;
      } else {
        const { user, signal } = hit;
        counts.logins++;
        signalCounts.set(signal, (signalCounts.get(signal) ?? 0) + 1);
        people.add(user);
        run.current ??= { day: run.days.first, users: new Map() };
        const day = run.current;
        const seen = day.users.get(user);
        if (seen) {
          seen.logins++;
          seen.last = created;
        } else {
          day.users.set(user, { logins: 1, first: created, last: created });
        }
      }
    }
    if (!run) {
      if (options.reset) {
        await forget();
        await store.clear();
      }
      return result({ noLogins: await noLoginsHint() });
    }
    await completeUntil(run, end);
    // Days already processed after this run's range: their periods and metrics depend on it.
    const through = extent.last && extent.last > labels(run.days).last ? extent.last : null;
    if (through) {
      for (let day = end; periodKeys(day).day <= through; day = nextDay(day)) {
        stopIfAsked();
        run.builder.addDay(day, (await store.day(periodKeys(day).day))?.users ?? null, false);
        refreshed++;
        await checkpoint(run);
      }
    }
    run.builder.closeOpen();
    await checkpoint(run, true);
    if (inPlace) {
      const built = labels(run.days);
      await store.removeOutside(built.first, built.last, zone);
      await store.writeSettings(settingsOf(built.first, built.last, clock()));
    }
    counts.users = people.size;
    await cookies.finishRun(
      config.jobName,
      { finished: clock(), outcome: "done", ...counts, signals: signals(), skippedBy },
      { repaired: true },
    );
    return result({ ...labels(run.days), dryRun: false });
  } catch (caught) {
    const resume = `the next run resumes at ${resumeDay ?? "the start, as nothing was written"}`;
    // A stop can surface as the driver's abort of a read in flight: it is the stop all the same.
    const error =
      options.signal?.aborted && !(caught instanceof HomeUsageError && caught.code === "E_INTERRUPTED")
        ? new HomeUsageError("E_INTERRUPTED", `interrupted; ${resume}`, { cause: caught })
        : (lostDatabase(caught, config.mongodbUri, `during the run; ${resume}`) ?? caught);
    if (run) {
      const message = error instanceof Error ? error.message : String(error);
      await cookies
        .finishRun(config.jobName, {
          finished: clock(),
          outcome: "failed",
          error: message,
          ...counts,
          signals: signals(),
          skippedBy,
        })
        .catch(() => {});
    }
    throw error;
  } finally {
    heartbeat.stop();
    await lock.release().catch(() => {});
  }
}

/** One run in progress: the day being read and what is written so far. */
interface Run {
  builder: RollupBuilder;
  days: DayRange;
  total: number;
  /** The day whose records are being read, and its people so far. */
  current: { day: DateTime; users: Map<string, Omit<DayEntry, "user">> } | null;
  /** The last day handed to the builder (written at the next checkpoint). */
  written: string | null;
  lastCheckpoint: number;
  repairFrom?: string;
}

const labels = (range: DayRange) => ({ first: periodKeys(range.first).day, last: periodKeys(range.last).day });

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
function knownFirstDay(options: AggregationOptions, cookie: Cookie | null, config: HomeUsageConfig, now: Date) {
  const zone = config.timezone;
  if (options.start) return { day: startOfDay(options.start, zone), from: "--start" };
  if (cookie?.offset) return { day: startOfDay(cookie.offset, zone), from: "the cookie's offset" };
  if (config.start)
    return { day: parseDate(config.start, { zone, now, name: "HOME_USAGE_START" }), from: "HOME_USAGE_START" };
  return null;
}

/**
 * The longest user name the rollup keeps. A longer one is no person's name (a log line gone wrong, or an
 * attack), and a few hundred of them would carry a day's document past MongoDB's 16 MB: skipped, counted.
 */
export const MAX_NAME_LENGTH = 256;

/** Login records of the signal whose `created` is missing or not a date: no day can hold them. */
function countUndated(
  source: Collection<LogRecord>,
  filter: LoginMatcher["filter"],
  bounds: { maxTimeMS: number; signal?: AbortSignal },
) {
  const { maxTimeMS, signal } = bounds;
  return source.countDocuments(
    { ...filter, created: { $not: { $type: "date" } } },
    { maxTimeMS, ...(signal ? { signal } : {}) },
  );
}

/**
 * A checkpoint also comes after this many documents, however little time they took: when the log
 * arrives faster than it is written (FerretDB sorts it all, then sends it at once), years of days
 * would otherwise wait in memory for the next checkpoint, and memory would grow with the history.
 */
const CHECKPOINT_DOCUMENTS = 128;

/**
 * Log records per batch, and read ahead while the run writes: one batch. More does not make the job
 * faster (it waits for the scan) but costs memory: records that wait out a checkpoint outlive V8's young
 * generation and pile up as garbage until a full collection. Replaying ten years of logins on the bundled
 * database: peaks of 197 to 225 MiB with 1,000 to 5,000 records read ahead, 139 to 174 MiB with 250 or 500.
 */
const LOG_BATCH = 500;

/**
 * The cursor's records, with the next batch fetched while the run writes: the database keeps scanning
 * during the checkpoints instead of waiting for them. At most `limit` records wait in memory.
 */
async function* readAhead<T>(cursor: AsyncIterable<T>, limit: number): AsyncGenerator<T> {
  let queue: T[] = [];
  let finished = false;
  let stopped = false;
  let failure: unknown = null;
  // Who waits for whom: the reader for records, the pump for room.
  const waiting: { reader?: () => void; pump?: () => void } = {};
  const pump = (async () => {
    try {
      for await (const item of cursor) {
        if (stopped) break;
        queue.push(item);
        waiting.reader?.();
        if (queue.length >= limit) await new Promise<void>((r) => (waiting.pump = r));
      }
    } catch (error) {
      failure = error;
    } finally {
      finished = true;
      waiting.reader?.();
    }
  })();
  try {
    for (;;) {
      if (queue.length === 0) {
        if (failure) throw failure;
        if (finished) return;
        await new Promise<void>((r) => (waiting.reader = r));
        waiting.reader = undefined;
        continue;
      }
      // Take everything waiting at once; the pump fills a fresh array meanwhile.
      const batch = queue;
      queue = [];
      waiting.pump?.();
      waiting.pump = undefined;
      yield* batch;
    }
  } finally {
    // Stopped early (an error or a signal): end the pump and close the cursor.
    stopped = true;
    waiting.pump?.();
    await (cursor as unknown as { close?: () => Promise<void> }).close?.().catch(() => {});
    await pump;
  }
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
