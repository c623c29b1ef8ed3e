import type { Collection } from "mongodb";

/**
 * One digest sent to one target: `{ _id: "2026-W49:<hash>", period, target, shown, sent }`. The target
 * is kept as a hash (a webhook URL is a secret) and as its redacted form, for people reading it in mongosh.
 */
export interface DigestSent {
  _id: string;
  /** The period's label: `2026-W49`, `2026-11`. */
  period: string;
  /** The SHA-256 of the target as given, in hex. */
  target: string;
  /** The target as messages show it: `slack:hooks.slack.com/…`. */
  shown: string;
  sent: Date;
}

const idOf = (period: string, target: string) => `${period}:${target}`;

/** The digests' sent-log: what `home-usage digest` sent, so a second run in a period sends nothing again. */
export function openDigestLog(collection: Collection<DigestSent>) {
  return {
    /** When each of `targets` (hashes) was sent the period's digest; absent when it was not. */
    async sent(period: string, targets: readonly string[]): Promise<Map<string, Date>> {
      const ids = targets.map((target) => idOf(period, target));
      const docs = await collection.find({ _id: { $in: ids } }).toArray();
      return new Map(docs.map((doc) => [doc.target, doc.sent]));
    },

    /** Remembers that the period's digest reached a target. */
    async record(entry: Omit<DigestSent, "_id">): Promise<void> {
      await collection.replaceOne({ _id: idOf(entry.period, entry.target) }, entry, { upsert: true });
    },
  };
}

export type DigestLog = ReturnType<typeof openDigestLog>;
