import type { Collection } from "mongodb";
import { z } from "zod";
import { formatNamespace } from "../database.js";
import { describeValue, HomeUsageError } from "../errors.js";
import { calendarDay } from "../rollup/rollup.js";
import type { Namespace } from "../settings/config.js";
import { acquireLock, type LockOptions, type LockPlace, lockId, readLock } from "./lock.js";

/** What one run of the job did, kept in its cookie. */
export interface RunRecord {
  started: Date;
  finished?: Date;
  /** `running` while a run goes on, and afterwards if it died without saying so. */
  outcome: "running" | "done" | "failed";
  /** The local days the run covers, inclusive. */
  first: string;
  last: string;
  days: number;
  records: number;
  logins: number;
  skipped: number;
  users: number;
  /** Login records counted, per login signal that matched them (a list: a signal's name may hold any character). */
  signals?: SignalCount[];
  /** Of `skipped`, the records of each reason. */
  skippedBy?: SkippedBy;
  error?: string;
}

/** The logins one login signal matched. */
export interface SignalCount {
  signal: string;
  logins: number;
}

/** Why records were skipped: `created` is not a valid date, no usable user name, a name too long to keep. */
export interface SkippedBy {
  created: number;
  user: number;
  tooLong: number;
}

/** The job's checkpoint: how far it got, and its last run. */
export interface Cookie {
  _id: string;
  /** Midnight (as an instant) of the last day written: the next run starts there again. */
  offset?: Date;
  offsetDay?: string;
  /**
   * The first day a run rewrote before the checkpoint (a backfill) and did not see through to the
   * checkpoint: the next run brings the periods from there on up to date.
   */
  repairFrom?: string;
  /** When `forget` last rewrote the rollup outside a run: readers' caches hold older answers. */
  rewritten?: Date;
  lastRun?: RunRecord;
}

export type RunCounts = Pick<RunRecord, "days" | "records" | "logins" | "skipped" | "users">;
/** What a checkpoint and the end of a run record of the counts so far. */
export type RunTally = RunCounts & { signals?: SignalCount[]; skippedBy?: SkippedBy };

const count = z.number().int().nonnegative();

const signalCount = z.object({ signal: z.string(), logins: count });
// Cookies written before the list kept the counts keyed by the signal's name.
const signalCounts = z.union([
  z.array(signalCount),
  z
    .record(z.string(), count)
    .transform((byName) => Object.entries(byName).map(([signal, logins]) => ({ signal, logins }))),
]);
const runSchema = z.object({
  started: z.date(),
  finished: z.date().optional(),
  outcome: z.enum(["running", "done", "failed"]),
  first: z.string(),
  last: z.string(),
  days: count,
  records: count,
  logins: count,
  skipped: count,
  users: count,
  signals: signalCounts.optional(),
  skippedBy: z.object({ created: count, user: count, tooLong: count }).optional(),
  error: z.string().optional(),
});
const cookieSchema = z.object({
  _id: z.string(),
  offset: z.date("must be a date").optional(),
  offsetDay: calendarDay.optional(),
  repairFrom: calendarDay.optional(),
  rewritten: z.date().optional(),
  lastRun: runSchema.optional(),
});

/**
 * Checks a stored cookie. A damaged one is an `E_STATE` error that names the field, what it holds,
 * and how to repair it, never a crash further on.
 */
export function checkCookie(doc: unknown, where: string): Cookie {
  const result = cookieSchema.safeParse(doc);
  if (result.success) {
    const { offset } = result.data;
    if (offset && Number.isNaN(offset.getTime())) return damaged(where, "offset", offset);
    return result.data as Cookie;
  }
  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  let value: unknown = doc;
  for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
  return damaged(where, path.join(".") || "the document", value, issue?.message);
}

function damaged(where: string, field: string, value: unknown, expected?: string): never {
  throw new HomeUsageError(
    "E_STATE",
    `the job's cookie ${where} is damaged: ${field} holds ${describeValue(value)}${expected ? ` (${expected.toLowerCase()})` : ""}; repair it with home-usage aggregate --reset, or --start <day> to start again from a day`,
  );
}

/** The job's cookie and lock, kept in one collection: reads them checked, writes each change atomically. */
export function createCookieStore(collection: Collection<Cookie>, namespace: Namespace, jobName: string) {
  const where = `${formatNamespace(namespace)} (${jobName})`;
  const lock = { name: lockId(jobName), namespace };
  const read = async (bounds: { maxTimeMS?: number } = {}): Promise<Cookie | null> => {
    const doc = await collection.findOne({ _id: jobName }, bounds.maxTimeMS ? { maxTimeMS: bounds.maxTimeMS } : {});
    return doc && checkCookie(doc, where);
  };
  return {
    /** The cookie as messages name it: its namespace and the job. */
    where,

    /** The checked cookie; see `checkCookie`. */
    read,

    /** The cookie as stored, unchecked, for `status` to show what is really there. */
    raw: () => collection.findOne({ _id: jobName }),

    /**
     * What versions the rollup for a reader's cache: it changes whenever the job writes a day, and says
     * when the job last wrote.
     */
    async version(bounds: { maxTimeMS?: number }): Promise<RollupVersion> {
      const cookie = await read(bounds);
      const run = cookie?.lastRun;
      const written = run?.finished ?? run?.started;
      return {
        // A forget's rewrite changes the key too; a rollup never rewritten keeps the key it always had.
        key: JSON.stringify([
          cookie?.offset,
          run?.started,
          run?.days,
          run?.finished,
          ...(cookie?.rewritten ? [cookie.rewritten] : []),
        ]),
        asOf: written,
      };
    },

    /** Records that the rollup was rewritten outside a run (`forget`), so readers' caches let go. */
    markRewritten: (at: Date) => collection.updateOne({ _id: jobName }, { $set: { rewritten: at } }, { upsert: true }),

    startRun: (run: Omit<RunRecord, "outcome" | keyof RunCounts>, repairFrom?: string) =>
      collection.updateOne(
        { _id: jobName },
        {
          $set: {
            lastRun: { ...run, outcome: "running", days: 0, records: 0, logins: 0, skipped: 0, users: 0 },
            ...(repairFrom ? { repairFrom } : {}),
          },
        },
        { upsert: true },
      ),

    /** Moves the checkpoint to a day that is safely written (never backwards: see the job). */
    advance: (offset: { instant: Date; day: string } | null, counts: RunTally) =>
      collection.updateOne(
        { _id: jobName },
        {
          $set: {
            ...(offset ? { offset: offset.instant, offsetDay: offset.day } : {}),
            ...Object.fromEntries(Object.entries(counts).map(([key, value]) => [`lastRun.${key}`, value])),
          },
        },
      ),

    finishRun: (
      finish: { finished: Date; outcome: "done" | "failed"; error?: string } & RunTally,
      options: { repaired?: boolean } = {},
    ) =>
      collection.updateOne(
        { _id: jobName },
        {
          $set: Object.fromEntries(Object.entries(finish).map(([key, value]) => [`lastRun.${key}`, value])),
          ...(options.repaired ? { $unset: { repairFrom: "" } } : {}),
        },
      ),

    /** Forgets the checkpoint, so the next run starts from the configured start. */
    reset: () => collection.updateOne({ _id: jobName }, { $unset: { offset: "", offsetDay: "", repairFrom: "" } }),

    /** Takes the job's lease; see `acquireLock`. */
    acquireLock: (options: Omit<LockOptions, keyof LockPlace>) => acquireLock(collection, { ...options, ...lock }),

    /** The lease's holder while it runs; a damaged lock throws. */
    readLock: (now: Date) => readLock(collection, lock, now),
  };
}

/** The rollup's version for a cache, and when the job last wrote it. */
export interface RollupVersion {
  key: string;
  asOf: Date | undefined;
}

export type CookieStore = ReturnType<typeof createCookieStore>;
