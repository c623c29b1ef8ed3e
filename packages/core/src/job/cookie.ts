import type { Collection } from "mongodb";
import { z } from "zod";
import { HomeUsageError } from "../errors.js";
import { calendarDay } from "../rollup/rollup.js";

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
  timezone?: string;
  /**
   * The first day a run rewrote before the checkpoint (a backfill) and did not see through to the
   * checkpoint: the next run brings the periods from there on up to date.
   */
  repairFrom?: string;
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
  timezone: z.string().optional(),
  repairFrom: calendarDay.optional(),
  lastRun: runSchema.optional(),
});

/** What a stored value is, for a message about it. */
export const describeValue = (value: unknown): string =>
  value === null
    ? "null"
    : value instanceof Date
      ? `the date ${Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString()}`
      : Array.isArray(value)
        ? "a list"
        : typeof value === "object"
          ? "an object"
          : `the ${typeof value} ${JSON.stringify(value)}`;

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

/** Reads and writes job cookies; every change is one atomic single-document update. */
export function createCookieStore(collection: Collection<Cookie>, where = "") {
  return {
    /** The checked cookie; see `checkCookie`. */
    async read(name: string): Promise<Cookie | null> {
      const doc = await collection.findOne({ _id: name });
      return doc && checkCookie(doc, `${where}${where ? " " : ""}(${name})`);
    },

    /** The cookie as stored, unchecked, for `status` to show what is really there. */
    raw: (name: string) => collection.findOne({ _id: name }),

    startRun: (name: string, run: Omit<RunRecord, "outcome" | keyof RunCounts>, repairFrom?: string) =>
      collection.updateOne(
        { _id: name },
        {
          $set: {
            lastRun: { ...run, outcome: "running", days: 0, records: 0, logins: 0, skipped: 0, users: 0 },
            ...(repairFrom ? { repairFrom } : {}),
          },
        },
        { upsert: true },
      ),

    /** Moves the checkpoint to a day that is safely written (never backwards: see the job). */
    advance: (name: string, offset: { instant: Date; day: string; timezone: string } | null, counts: RunTally) =>
      collection.updateOne(
        { _id: name },
        {
          $set: {
            ...(offset ? { offset: offset.instant, offsetDay: offset.day, timezone: offset.timezone } : {}),
            ...Object.fromEntries(Object.entries(counts).map(([key, value]) => [`lastRun.${key}`, value])),
          },
        },
      ),

    finishRun: (
      name: string,
      finish: {
        finished: Date;
        outcome: "done" | "failed";
        error?: string;
      } & RunTally,
      options: { repaired?: boolean } = {},
    ) =>
      collection.updateOne(
        { _id: name },
        {
          $set: Object.fromEntries(Object.entries(finish).map(([key, value]) => [`lastRun.${key}`, value])),
          ...(options.repaired ? { $unset: { repairFrom: "" } } : {}),
        },
      ),

    /** Forgets the checkpoint, so the next run starts from the configured start. */
    reset: (name: string) =>
      collection.updateOne({ _id: name }, { $unset: { offset: "", offsetDay: "", timezone: "", repairFrom: "" } }),
  };
}

export type CookieStore = ReturnType<typeof createCookieStore>;
