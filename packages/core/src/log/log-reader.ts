import type { Collection, Document } from "mongodb";
import { indexAdvice } from "../database.js";
import type { Namespace } from "../settings/config.js";
import {
  checkLoginSignalOnDatabase,
  frequentMessages,
  type LoginMatcher,
  type LoginSignal,
  type LogRecord,
} from "./login-signal.js";

/** Bounds of one read: a time budget, and a signal that stops it. */
interface Bounds {
  maxTimeMS?: number;
  signal?: AbortSignal;
}

const bounded = ({ maxTimeMS, signal }: Bounds) => ({
  ...(maxTimeMS ? { maxTimeMS } : {}),
  ...(signal ? { signal } : {}),
});

/**
 * core4's log, read only: the job's one ascending pass over the login records, what a dry run and a
 * run over the whole log count first, and what an operator is told about the log.
 */
export function openLogReader(collection: Collection<LogRecord>, namespace: Namespace) {
  return {
    namespace,

    /**
     * The records of `filter` in the order of `created`, with the fields of `projection`; the next batch
     * is fetched while the caller works. The signal reaches the database: a stop does not wait for the
     * scan's first batch.
     */
    scan(
      filter: LoginMatcher["filter"] & { created: unknown },
      projection: LoginMatcher["projection"],
      bounds: Bounds,
    ) {
      const cursor = collection
        .find(filter, { projection, ...bounded({ signal: bounds.signal }) })
        .sort({ created: 1 })
        .batchSize(LOG_BATCH);
      return readAhead(cursor, LOG_BATCH);
    },

    /** The oldest record of `filter`, its `created` as stored (maybe no date). */
    oldest: (filter: Document) =>
      collection
        .find(filter, { projection: { created: 1 } })
        .sort({ created: 1 })
        .next(),

    count: (filter: Document) => collection.countDocuments(filter),

    /** Login records of the signal whose `created` is missing or not a date: no day can hold them. */
    countUndated: (filter: LoginMatcher["filter"], bounds: Bounds) =>
      collection.countDocuments({ ...filter, created: { $not: { $type: "date" } } }, bounded(bounds)),

    /** The log's most frequent messages, for the operator who must write a login pattern. */
    frequentMessages: (options: { limit?: number; maxTimeMS?: number }) => frequentMessages(collection, options),

    /** How to index `created`, when the log has no such index. */
    indexAdvice: () => indexAdvice(collection, namespace),

    /** Runs the signal's filter once, so a pattern the database refuses is a usage error before a run. */
    checkSignal: (signal: LoginSignal, options: { maxTimeMS?: number }) =>
      checkLoginSignalOnDatabase(collection, signal, options),
  };
}

export type LogReader = ReturnType<typeof openLogReader>;

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
