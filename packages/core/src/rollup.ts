import type { Collection } from "mongodb";
import type { PeriodKeys } from "./periods.js";

/**
 * One person's logins on one local day. The period keys are repeated here because the query unwinds
 * `users`, and FerretDB's `$unwind` keeps no other field of the day.
 */
export interface UserDay extends PeriodKeys {
  user: string;
  logins: number;
  first: Date;
  last: Date;
}

/** One processed local day: the rollup document, replaced whole whenever the day is processed. */
export interface RollupDay extends PeriodKeys {
  /** The day's first instant (its local midnight). */
  _id: Date;
  timezone: string;
  users: UserDay[];
  /** `users.length`, kept so daily figures need no unwinding (FerretDB's $group is slow on many groups). */
  distinctUsers: number;
  logins: number;
  updated: Date;
}

/** The daily rollup collection. */
export function createRollupStore(collection: Collection<RollupDay>) {
  return {
    /** Writes days whole; rewriting a day gives the same document (bar `updated`). */
    async writeDays(days: RollupDay[]) {
      if (days.length === 0) return;
      await collection.bulkWrite(
        days.map((day) => ({ replaceOne: { filter: { _id: day._id }, replacement: day, upsert: true } })),
        { ordered: true },
      );
    },

    /** The time zone the rollup was built in, or null while it is empty. */
    async timezone(): Promise<string | null> {
      const day = await collection.findOne({}, { projection: { timezone: 1 } });
      return day?.timezone ?? null;
    },

    async clear() {
      await collection.deleteMany({});
    },

    /** How many days are processed, and the first and last of them. */
    async extent(): Promise<{ days: number; first: string | null; last: string | null }> {
      const days = await collection.countDocuments();
      const edge = (order: 1 | -1) =>
        collection
          .find({}, { projection: { day: 1 } })
          .sort({ _id: order })
          .limit(1)
          .next();
      const [first, last] = await Promise.all([edge(1), edge(-1)]);
      return { days, first: first?.day ?? null, last: last?.day ?? null };
    },
  };
}
