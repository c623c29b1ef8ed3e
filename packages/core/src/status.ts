import type { MongoClient } from "mongodb";
import type { HomeUsageConfig } from "./config.js";
import type { Cookie, RunRecord } from "./cookie.js";
import { formatNamespace, indexAdvice } from "./database.js";
import { type LockDocument, lockId, readLock } from "./lock.js";
import { createRollupStore, type RollupDay } from "./rollup.js";

/** Where the job stands: its checkpoint, its last run, who runs it now, and what the rollup holds. */
export interface Status {
  job: string;
  source: string;
  target: string;
  timezone: string;
  offset: string | null;
  lastRun: RunRecord | null;
  lock: Pick<LockDocument, "host" | "pid" | "acquired" | "heartbeat" | "expires"> | null;
  rollup: { days: number; first: string | null; last: string | null; timezone: string | null };
  indexAdvice: string | null;
}

export async function readStatus(client: MongoClient, config: HomeUsageConfig): Promise<Status> {
  const cookies = client.db(config.cookies.db).collection<Cookie>(config.cookies.collection);
  const rollup = createRollupStore(client.db(config.target.db).collection<RollupDay>(config.target.collection));
  const source = client.db(config.source.db).collection(config.source.collection);
  const [cookie, lock, extent, timezone, advice] = await Promise.all([
    cookies.findOne({ _id: config.jobName }),
    readLock(cookies, lockId(config.jobName), new Date()),
    rollup.extent(),
    rollup.timezone(),
    indexAdvice(source, config.source),
  ]);
  return {
    job: config.jobName,
    source: formatNamespace(config.source),
    target: formatNamespace(config.target),
    timezone: config.timezone,
    offset: cookie?.offsetDay ?? null,
    lastRun: cookie?.lastRun ?? null,
    lock: lock && {
      host: lock.host,
      pid: lock.pid,
      acquired: lock.acquired,
      heartbeat: lock.heartbeat,
      expires: lock.expires,
    },
    rollup: { ...extent, timezone },
    indexAdvice: advice,
  };
}
