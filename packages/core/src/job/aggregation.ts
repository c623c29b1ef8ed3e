import type { DateTime } from "luxon";
import type { MongoClient } from "mongodb";
import { lostDatabase } from "../database.js";
import { HomeUsageError } from "../errors.js";
import { expireNames } from "../privacy/name-retention.js";
import { compareUsers, type DayEntry } from "../rollup/people.js";
import { RollupBuilder } from "../rollup/rollup-builder.js";
import type { HomeUsageConfig } from "../settings/config.js";
import { countDays, type DayRange, parseDate, toDayRange } from "../time/date-range.js";
import { nextDay, periodKeys, startOfDay } from "../time/periods.js";
import type { RunCounts, SignalCount, SkippedBy } from "./cookie.js";
import type { HeldLock } from "./lock.js";
import { labels, type Plan, planRun, settingsOf } from "./run-plan.js";
import { Tally } from "./run-tally.js";

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
  /** Logins of people `forget` erased, left out. */
  forgotten: number;
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
  const plan = await planRun(options);
  const tally = new Tally(plan.matcher.signals);
  const result = (fields: Partial<AggregationResult>): AggregationResult => ({
    ...tally.counts,
    excluded: tally.excluded,
    forgotten: tally.forgotten,
    skippedBy: { ...tally.skippedBy },
    refreshed: tally.refreshed,
    signals: tally.signals(),
    dryRun: Boolean(options.dryRun),
    first: null,
    last: null,
    ...fields,
    elapsedMs: Date.now() - began,
  });
  if (options.dryRun) return result(await dryRun(plan, tally, options));

  const { config } = plan;
  const lock = await plan.cookies.acquireLock({
    leaseSeconds: config.lockLeaseSeconds,
    host: options.host,
    pid: options.pid,
  });
  const heartbeat = keepAlive(lock, config.lockLeaseSeconds);
  const job: Job = { plan, options, tally, heartbeat, run: null, resumeDay: plan.cookie?.offsetDay ?? null };
  try {
    await advise(plan, options);
    if (plan.range) job.run = await begin(job, plan.range);
    else {
      // A range of days cannot hold records without a valid date: counted once, in a run over the whole log.
      const undated = await plan.log.countUndated(plan.matcher.filter, undatedBounds(options));
      tally.counts.records += undated;
      tally.skip("created", undated);
    }
    const run = await read(job);
    if (!run) {
      if (options.reset) {
        await forget(plan);
        await plan.store.clear();
      }
      return result({ noLogins: await noLoginsHint(plan) });
    }
    await finish(job, run);
    return result({ ...labels(run.days), dryRun: false });
  } catch (caught) {
    throw await failed(job, caught);
  } finally {
    heartbeat.stop();
    await lock.release().catch(() => {});
  }
}

/** A run under way: its plan, its counts, and how far it got. */
interface Job {
  readonly plan: Plan;
  readonly options: AggregationOptions;
  readonly tally: Tally;
  readonly heartbeat: Heartbeat;
  /** Null until the run's first day is known (the oldest login record, when nothing else says). */
  run: Run | null;
  /** Where the next run resumes: the cookie's day. */
  resumeDay: string | null;
}

/** The days of a run, the day being read and what is written so far. */
interface Run {
  builder: RollupBuilder;
  days: DayRange;
  total: number;
  /** The day whose records are being read, and its people so far. */
  current: { day: DateTime; users: Map<string, Omit<DayEntry, "user">> } | null;
  /** The last day handed to the builder (written at the next checkpoint). */
  written: string | null;
  lastCheckpoint: number;
}

/** Says what a run would do, writing nothing. */
async function dryRun(plan: Plan, tally: Tally, options: AggregationOptions): Promise<Partial<AggregationResult>> {
  const { log, range, filter, zone } = plan;
  await advise(plan, options);
  const oldest = range ? null : await log.oldest(filter);
  const planned =
    range ??
    (isDate(oldest?.created)
      ? plan.rangeOf(
          startOfDay(oldest.created, zone),
          `the oldest login record (created ${oldest.created.toISOString()})`,
        )
      : null);
  if (!planned) return { noLogins: await noLoginsHint(plan) };
  const candidates = await log.count(filter);
  if (!range) tally.skippedBy.created = await log.countUndated(plan.matcher.filter, undatedBounds(options));
  return { ...labels(planned), days: countDays(planned), candidates };
}

/**
 * Starts writing: forgets what a --reset replaces, records the run in the cookie, and readies the
 * builder for the run's first day (or for the first day of a backfill that did not finish).
 */
async function begin(job: Job, days: DayRange): Promise<Run> {
  const { plan, options } = job;
  const { cookie, zone, now, store } = plan;
  const first = labels(days).first;
  // A run that rewrites days before the checkpoint (a backfill) must bring every later period up
  // to date; until it has, the cookie says from where, so a killed backfill is finished later.
  const repairFrom = earliest(cookie?.repairFrom, cookie?.offsetDay && first < cookie.offsetDay ? first : null);
  const repairDay = repairFrom && repairFrom < first ? parseDate(repairFrom, { zone, now, name: "repairFrom" }) : null;
  if (repairDay) plan.rangeOf(repairDay, "the cookie's repairFrom");
  if (options.reset) await forget(plan);
  await plan.cookies.startRun({ started: now, ...labels(days) }, repairFrom ?? undefined);
  if (!plan.settings && !plan.inPlace) await store.writeSettings(settingsOf(plan, { first: null, last: null }, now));
  const builder = new RollupBuilder(store, {
    extent: plan.extent,
    clock: plan.clock,
    zone,
    replacing: plan.inPlace ?? undefined,
    identity: plan.identity,
    pseudonymsBefore: plan.pseudonymsBefore,
  });
  const from = repairDay ? startOfDay(repairDay, zone) : days.first;
  await builder.begin(from);
  // Days from an unfinished backfill up to this run's first day: read back, not rewritten.
  for (let day = from; day < days.first; day = nextDay(day)) await readBack(job, builder, day);
  return { builder, days, total: countDays(days), current: null, written: null, lastCheckpoint: Date.now() };
}

/**
 * Reads the log in one ascending pass, counting each login into its local day; a record of a later day
 * first hands the days before it to the builder. Returns the run, or null when no login was found.
 */
async function read(job: Job): Promise<Run | null> {
  const { plan, tally, options } = job;
  const { matcher, zone } = plan;
  const records = plan.log.scan(plan.filter, matcher.projection, { signal: options.signal });
  // The end of the day being read, as a number: most records fall in it, and need no calendar at all.
  let dayEnd = Number.NEGATIVE_INFINITY;
  for await (const record of records) {
    stopIfAsked(job);
    tally.counts.records++;
    const created = record.created;
    if (!isDate(created)) {
      tally.skip("created");
      continue;
    }
    let run = job.run;
    if (!run || created.getTime() >= dayEnd) {
      const day = startOfDay(created, zone);
      run ??= job.run = await begin(
        job,
        plan.rangeOf(day, `the oldest login record (created ${created.toISOString()})`),
      );
      await buildUntil(job, run, day);
      dayEnd = nextDay(run.current?.day ?? run.days.first).toMillis();
    }
    const user = tally.login(matcher.match(record), matcher, plan.forgotten);
    if (user !== null) addLogin(run, user, created);
  }
  return job.run;
}

/** One more login of a person on the day being read. */
function addLogin(run: Run, user: string, created: Date) {
  run.current ??= { day: run.days.first, users: new Map() };
  const seen = run.current.users.get(user);
  if (seen) {
    seen.logins++;
    seen.last = created;
  } else {
    run.current.users.set(user, { logins: 1, first: created, last: created });
  }
}

/** Hands every day before `until` to the builder (empty ones included), checking for a stop between days. */
async function buildUntil(job: Job, run: Run, until: DateTime) {
  const { tally, options } = job;
  while ((run.current?.day ?? run.days.first) < until) {
    stopIfAsked(job);
    const day = run.current?.day ?? run.days.first;
    const entries = run.current ? [...run.current.users.entries()].map(([user, u]) => ({ user, ...u })) : [];
    entries.sort(compareUsers);
    run.builder.addDay(day, entries, true);
    run.written = periodKeys(day).day;
    tally.counts.days++;
    options.onProgress?.({ ...tally.counts, users: tally.people.size, total: run.total, day: run.written });
    run.current = { day: nextDay(day), users: new Map() };
    await checkpoint(job, run);
  }
}

/** A processed day outside the run's range, read back from the rollup so the periods holding it follow. */
async function readBack(job: Job, builder: RollupBuilder, day: DateTime) {
  stopIfAsked(job);
  const users = (await job.plan.store.day(periodKeys(day).day))?.users;
  // A forget that did not finish may have left the people it erased in days it had not rewritten yet.
  builder.addDay(day, users?.filter((e) => !job.plan.forgotten(e.user)) ?? null, false);
  job.tally.refreshed++;
}

/**
 * Writes what the builder holds, then the settings' processed days, then moves the cookie: a run killed
 * at any instant redoes at most one checkpoint's work. Due every `checkpointMs`, or sooner once
 * `CHECKPOINT_DOCUMENTS` wait.
 */
async function checkpoint(job: Job, run: Run, force = false) {
  const { plan } = job;
  const due =
    Date.now() - run.lastCheckpoint >= plan.config.checkpointMs || run.builder.pending >= CHECKPOINT_DOCUMENTS;
  if (!force && !due) return;
  job.heartbeat.check();
  await run.builder.flush();
  const written = run.written;
  if (written) {
    const days = { first: earliest(plan.shown.first, labels(run.days).first), last: latest(plan.shown.last, written) };
    await plan.store.writeSettings(settingsOf(plan, days, plan.clock()));
    // The cookie never moves backwards: a backfill leaves it where it was.
    const offsetDay = plan.cookie?.offsetDay;
    const forward = !offsetDay || written >= offsetDay;
    const at = startOfDay(parseDate(written, { zone: plan.zone, now: plan.now, name: "day" }), plan.zone);
    await plan.cookies.advance(forward ? { instant: at.toJSDate(), day: written } : null, job.tally.sofar());
    if (forward) job.resumeDay = written;
  }
  run.lastCheckpoint = Date.now();
}

/**
 * Ends a run: its last days, the processed days after its range (their periods and metrics depend on
 * it), the open periods, a last checkpoint; a rebuild in place drops what lies outside the new days.
 */
async function finish(job: Job, run: Run) {
  const { plan, tally } = job;
  await buildUntil(job, run, plan.end);
  const through = plan.extent.last && plan.extent.last > labels(run.days).last ? plan.extent.last : null;
  if (through) {
    for (let day = plan.end; periodKeys(day).day <= through; day = nextDay(day)) {
      await readBack(job, run.builder, day);
      await checkpoint(job, run);
    }
  }
  run.builder.closeOpen();
  await checkpoint(job, run, true);
  if (plan.inPlace) {
    const built = labels(run.days);
    await plan.store.removeOutside(built.first, built.last, plan.zone);
    await plan.store.writeSettings(settingsOf(plan, built, plan.clock()));
  }
  await expireOldNames(plan, labels(run.days).first);
  tally.counts.users = tally.people.size;
  await plan.cookies.finishRun({ finished: plan.clock(), outcome: "done", ...tally.final() }, { repaired: true });
}

/** With a name retention: the names of periods that have ended long enough ago become pseudonyms. */
async function expireOldNames(plan: Plan, runFirst: string) {
  const { pseudonymsBefore: before, config } = plan;
  if (!before || !config.pseudonymSecret) return;
  const first = earliest(plan.shown.first, runFirst) as string;
  await expireNames(plan.store, {
    first: parseDate(first, { zone: plan.zone, now: plan.now, name: "first" }),
    before,
    record: plan.privacy,
    secret: config.pseudonymSecret,
    clock: plan.clock,
  });
}

/** The error a failed run throws, its outcome recorded in the cookie once the run had begun. */
async function failed(job: Job, caught: unknown): Promise<unknown> {
  const { plan, options } = job;
  const resume = `the next run resumes at ${job.resumeDay ?? "the start, as nothing was written"}`;
  // A stop can surface as the driver's abort of a read in flight: it is the stop all the same.
  const error =
    options.signal?.aborted && !(caught instanceof HomeUsageError && caught.code === "E_INTERRUPTED")
      ? new HomeUsageError("E_INTERRUPTED", `interrupted; ${resume}`, { cause: caught })
      : (lostDatabase(caught, plan.config.mongodbUri, `during the run; ${resume}`) ?? caught);
  if (job.run) {
    const message = error instanceof Error ? error.message : String(error);
    await plan.cookies
      .finishRun({
        finished: plan.clock(),
        outcome: "failed",
        error: message,
        ...job.tally.final(),
      })
      .catch(() => {});
  }
  return error;
}

function stopIfAsked(job: Job) {
  if (job.options.signal?.aborted) {
    throw new HomeUsageError(
      "E_INTERRUPTED",
      `interrupted; the next run resumes at ${job.resumeDay ?? "the start, as nothing was written"}`,
    );
  }
}

/**
 * Forgets the checkpoint, and the rollup unless it is rebuilt in place. Only once a run has been
 * accepted (its range checked), so that a refused --reset changes nothing.
 */
async function forget(plan: Plan) {
  await plan.cookies.reset();
  if (!plan.inPlace) await plan.store.clear();
}

/** Says once per run when the log's `created` has no index. */
async function advise(plan: Plan, options: AggregationOptions) {
  const advice = await plan.log.indexAdvice();
  if (advice) options.onNotice?.(advice);
}

/** Said when nothing matched: what was looked for, and what the log does say most often. */
async function noLoginsHint(plan: Plan) {
  return {
    signals: plan.matcher.signals,
    messages: await plan.log.frequentMessages({ limit: 3, maxTimeMS: plan.config.queryTimeoutMs }).catch(() => []),
  };
}

/**
 * The count of undated records reads the whole log, as the scan does: stopped by the signal, never by the
 * query timeout, which is one request's budget (a log of millions of records takes minutes to count).
 */
const undatedBounds = (options: AggregationOptions) => ({ signal: options.signal });
const isDate = (value: unknown): value is Date => value instanceof Date && !Number.isNaN(value.getTime());
const earliest = (...days: (string | null | undefined)[]) =>
  days.filter((d): d is string => Boolean(d)).sort()[0] ?? null;
const latest = (...days: (string | null | undefined)[]) =>
  days
    .filter((d): d is string => Boolean(d))
    .sort()
    .at(-1) ?? null;

/**
 * A checkpoint also comes after this many documents, however little time they took: when the log
 * arrives faster than it is written (FerretDB sorts it all, then sends it at once), years of days
 * would otherwise wait in memory for the next checkpoint, and memory would grow with the history.
 */
const CHECKPOINT_DOCUMENTS = 128;

/** Renews the lease in the background; `check` rethrows a failed renewal in the run's own flow. */
interface Heartbeat {
  check(): void;
  stop(): void;
}

function keepAlive(lock: HeldLock, leaseSeconds: number): Heartbeat {
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
