import { type Collection, MongoServerError } from "mongodb";

/**
 * One digest for one target: `{ _id: "2026-W49:<hash>", period, target, shown, sent }` once it arrived;
 * `claimed` while a run is sending it. The target is kept as a hash (a webhook URL is a secret) and as
 * its redacted form, for people reading it in mongosh.
 */
export interface DigestSent {
  _id: string;
  /** The period's label: `2026-W49`, `2026-11`. */
  period: string;
  /** The SHA-256 of the target as given, in hex. */
  target: string;
  /** The target as messages show it: `slack:hooks.slack.com/…`. */
  shown: string;
  /** When it arrived; absent while it has not. */
  sent?: Date;
  /** When a run began sending it (wall clock); absent when no run is. */
  claimed?: Date;
}

/**
 * How long a claim holds: far longer than a delivery may take (10 s a webhook, three 10 s steps a mail),
 * so only a run that died while sending leaves one this old.
 */
const CLAIM_MS = 5 * 60_000;

const idOf = (period: string, target: string) => `${period}:${target}`;
const DUPLICATE_KEY = 11000;

/** The digests' sent-log: what `home-usage digest` sent, so a second run in a period sends nothing again. */
export function openDigestLog(collection: Collection<DigestSent>) {
  return {
    /** When each of `targets` (hashes) was sent the period's digest; absent when it was not. */
    async sent(period: string, targets: readonly string[]): Promise<Map<string, Date>> {
      const ids = targets.map((target) => idOf(period, target));
      const docs = await collection.find({ _id: { $in: ids }, sent: { $exists: true } }).toArray();
      return new Map(docs.map((doc) => [doc.target, doc.sent as Date]));
    },

    /**
     * Takes the period's digest for a target before sending it, so two runs at once (a cron job and its
     * retry) send it once: `claimed`, or what holds it (a run sending it now, or its arrival, unless `force`).
     */
    async claim(
      entry: Pick<DigestSent, "period" | "target" | "shown">,
      force: boolean,
    ): Promise<{ claimed: true } | { claimed: false; sent?: Date }> {
      const _id = idOf(entry.period, entry.target);
      const now = new Date();
      const free = { $or: [{ claimed: { $exists: false } }, { claimed: { $lt: new Date(now.getTime() - CLAIM_MS) } }] };
      try {
        await collection.updateOne(
          { _id, ...(force ? {} : { sent: { $exists: false } }), ...free },
          { $set: { ...entry, claimed: now } },
          { upsert: true },
        );
        return { claimed: true };
      } catch (error) {
        // The filter did not match an existing document, so the upsert met it: someone else holds it.
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
        const held = await collection.findOne({ _id });
        return { claimed: false, ...(held?.sent && !held.claimed ? { sent: held.sent } : {}) };
      }
    },

    /** Remembers that the period's digest reached a target, and lets go of the claim. */
    async record(entry: Pick<DigestSent, "period" | "target" | "shown"> & { sent: Date }): Promise<void> {
      await collection.updateOne(
        { _id: idOf(entry.period, entry.target) },
        { $set: entry, $unset: { claimed: "" } },
        { upsert: true },
      );
    },

    /** Lets go of a claim whose delivery failed: the next run tries the target again. */
    async release(entry: Pick<DigestSent, "period" | "target">): Promise<void> {
      const _id = idOf(entry.period, entry.target);
      await collection.deleteOne({ _id, sent: { $exists: false } });
      await collection.updateOne({ _id }, { $unset: { claimed: "" } });
    },
  };
}

export type DigestLog = ReturnType<typeof openDigestLog>;
