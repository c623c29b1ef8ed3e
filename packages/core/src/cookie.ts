import type { Collection } from "mongodb";

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
  error?: string;
}

/** The job's checkpoint: how far it got, and its last run. */
export interface Cookie {
  _id: string;
  /** Midnight (as an instant) of the last day written: the next run starts there again. */
  offset?: Date;
  offsetDay?: string;
  timezone?: string;
  lastRun?: RunRecord;
}

export type RunCounts = Pick<RunRecord, "days" | "records" | "logins" | "skipped" | "users">;

/** Reads and writes job cookies; every change is one atomic single-document update. */
export function createCookieStore(collection: Collection<Cookie>) {
  return {
    read: (name: string) => collection.findOne({ _id: name }),

    startRun: (name: string, run: Omit<RunRecord, "outcome" | keyof RunCounts>) =>
      collection.updateOne(
        { _id: name },
        { $set: { lastRun: { ...run, outcome: "running", days: 0, records: 0, logins: 0, skipped: 0, users: 0 } } },
        { upsert: true },
      ),

    /** Moves the checkpoint to a day that is safely written. */
    advance: (name: string, offset: { instant: Date; day: string; timezone: string }, counts: RunCounts) =>
      collection.updateOne(
        { _id: name },
        {
          $set: {
            offset: offset.instant,
            offsetDay: offset.day,
            timezone: offset.timezone,
            "lastRun.days": counts.days,
            "lastRun.records": counts.records,
            "lastRun.logins": counts.logins,
            "lastRun.skipped": counts.skipped,
            "lastRun.users": counts.users,
          },
        },
      ),

    finishRun: (name: string, finish: { finished: Date; outcome: "done" | "failed"; error?: string } & RunCounts) =>
      collection.updateOne(
        { _id: name },
        {
          $set: Object.fromEntries(Object.entries(finish).map(([key, value]) => [`lastRun.${key}`, value])),
        },
      ),

    /** Forgets the checkpoint, so the next run starts from the configured start. */
    reset: (name: string) =>
      collection.updateOne({ _id: name }, { $unset: { offset: "", offsetDay: "", timezone: "" } }),
  };
}
