import { randomUUID } from "node:crypto";
import type { Collection, Document } from "mongodb";
import { z } from "zod";
import { describeValue, HomeUsageError } from "../errors.js";

/** A lease: who holds the job, and until when unless they renew it. */
export interface LockDocument {
  _id: string;
  owner: string;
  host: string;
  pid: number;
  acquired: Date;
  heartbeat: Date;
  expires: Date;
}

/** The lock's _id: one lock per job, kept beside the job's cookie. */
export const lockId = (jobName: string) => `${jobName}.lock`;

export interface LockOptions extends LockPlace {
  /** Seconds the lease lasts without a heartbeat. */
  leaseSeconds: number;
  host: string;
  pid: number;
  /** Leases run on the wall clock even when a run's "now" is fixed. @default () => new Date() */
  clock?: () => Date;
}

export interface HeldLock {
  readonly owner: string;
  /** Renews the lease; throws `E_LOCKED` if another run took it over meanwhile. */
  renew(): Promise<void>;
  release(): Promise<void>;
}

const DUPLICATE_KEY = 11000;

const lockSchema = z.object({
  _id: z.string(),
  owner: z.string(),
  host: z.string(),
  pid: z.number(),
  acquired: z.date(),
  heartbeat: z.date(),
  expires: z.date(),
});

/** Where the lock lives, to name it in messages and in the command that removes it. */
export interface LockPlace {
  /** `database.collection` of the cookies. */
  namespace: { db: string; collection: string };
  name: string;
}

/**
 * The stored lock, checked: a damaged one (a field missing or of another type) is an `E_STATE` error
 * that names the field, what it holds, and how to remove it, never a crash in the run that meets it.
 */
export function checkLock(doc: unknown, place: LockPlace): LockDocument {
  const result = lockSchema.safeParse(doc);
  if (result.success && !Number.isNaN(result.data.expires.getTime())) return result.data;
  const issue = result.success ? { path: ["expires"] } : result.error.issues[0];
  const field = issue?.path.join(".") || "the document";
  const value = (doc as Record<string, unknown> | null)?.[String(issue?.path[0] ?? "")];
  const { db, collection } = place.namespace;
  throw new HomeUsageError(
    "E_STATE",
    `the job's lock ${db}.${collection} (${place.name}) is damaged: ${field} holds ${value === undefined ? "nothing" : describeValue(value)}; when no run is going on, remove it with mongosh <MONGODB_URI> --eval 'db.getSiblingDB(${JSON.stringify(db)}).getCollection(${JSON.stringify(collection)}).deleteOne({ _id: ${JSON.stringify(place.name)} })'`,
  );
}

/**
 * Takes the lease if it is free or expired (its holder died), atomically: the upsert either updates an
 * expired lock or inserts a new one, and collides on `_id` with a live one.
 */
export async function acquireLock<T extends Document>(cookies: Collection<T>, options: LockOptions): Promise<HeldLock> {
  const collection = cookies as unknown as Collection<LockDocument>;
  const owner = randomUUID();
  const leaseMs = options.leaseSeconds * 1000;
  const clock = options.clock ?? (() => new Date());
  const now = clock();
  try {
    await collection.findOneAndUpdate(
      { _id: options.name, expires: { $lt: now } },
      {
        $set: {
          owner,
          host: options.host,
          pid: options.pid,
          acquired: now,
          heartbeat: now,
          expires: new Date(now.getTime() + leaseMs),
        },
      },
      { upsert: true },
    );
  } catch (error) {
    if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
    const stored = await collection.findOne({ _id: options.name });
    const holder = stored && checkLock(stored, options);
    throw new HomeUsageError(
      "E_LOCKED",
      holder
        ? `another run holds the lock: pid ${holder.pid} on ${holder.host} since ${holder.acquired.toISOString()} (lease until ${holder.expires.toISOString()})`
        : "another run holds the lock",
    );
  }
  return {
    owner,
    async renew() {
      const at = clock();
      const result = await collection.updateOne(
        { _id: options.name, owner },
        { $set: { heartbeat: at, expires: new Date(at.getTime() + leaseMs) } },
      );
      if (result.matchedCount === 0) {
        throw new HomeUsageError("E_LOCKED", "lost the lock: its lease expired and another run took it over");
      }
    },
    async release() {
      await collection.deleteOne({ _id: options.name, owner });
    },
  };
}

/** The current holder of the lock, if its lease is still running; a damaged lock throws (see `checkLock`). */
export async function readLock<T extends Document>(cookies: Collection<T>, place: LockPlace, now: Date) {
  const collection = cookies as unknown as Collection<LockDocument>;
  const stored = await collection.findOne({ _id: place.name });
  const lock = stored && checkLock(stored, place);
  return lock && lock.expires > now ? lock : null;
}
