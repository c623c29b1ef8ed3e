import { setMaxListeners } from "node:events";
import type { Collection, MongoClient } from "mongodb";
import { type Accounts, openAccounts, type RoleDocument } from "./accounts/core4-roles.js";
import { type DigestLog, type DigestSent, openDigestLog } from "./digest/digest-log.js";
import { type Cookie, type CookieStore, createCookieStore } from "./job/cookie.js";
import { type LogReader, openLogReader } from "./log/log-reader.js";
import type { LogRecord } from "./log/login-signal.js";
import {
  createRollupStore,
  type PeopleDocument,
  type PrivacyRecord,
  type RollupSettings,
  type RollupStore,
  type SummaryPage,
} from "./rollup/rollup.js";
import type { HomeUsageConfig } from "./settings/config.js";

/** Bounds for every read of a rollup store. */
export interface RollupReads {
  /** A time budget for every read, in milliseconds; the database stops a read that exceeds it. */
  maxTimeMS?: number;
  /** Stops every read in flight, and every later one, when it aborts (a client that went away). */
  signal?: AbortSignal;
}

/** Every collection home-usage reads or writes, each with the one module that owns it. */
export interface Collections {
  /** core4's log, read only. */
  log: LogReader;
  /** The rollup (`target` and `periods`), its reads bounded. */
  rollup(reads?: RollupReads): RollupStore;
  /** The job's cookie and lock. */
  cookies: CookieStore;
  /** core4's accounts and groups (`sys.role`), read only. */
  accounts: Accounts;
  /** The digests' sent-log (`digests`): which period went to which target. */
  digests: DigestLog;
  /** What `home-usage demo-data` writes: a demo log and demo accounts, in core4's collections. */
  demo: { log: Collection<LogRecord>; accounts: Collection<RoleDocument> };
}

/** The one place collections are opened: nothing else calls `.collection(`. */
export function collections(
  client: MongoClient,
  settings: Pick<HomeUsageConfig, "source" | "target" | "periods" | "cookies" | "roles" | "digests" | "jobName">,
): Collections {
  const open = <T extends object>(ns: { db: string; collection: string }) =>
    client.db(ns.db).collection<T>(ns.collection);
  const log = open<LogRecord>(settings.source);
  const roles = open<RoleDocument>(settings.roles);
  return {
    log: openLogReader(log, settings.source),
    rollup(reads = {}) {
      // Every read in flight listens on the one signal (a long report reads dozens of pages at once): that
      // is by design, not the listener leak Node warns about past ten.
      if (reads.signal) setMaxListeners(0, reads.signal);
      return createRollupStore({
        target: open<PeopleDocument>(settings.target),
        summaries: open<SummaryPage | RollupSettings | PrivacyRecord>(settings.periods),
        targetName: settings.target,
        summariesName: settings.periods,
        ...reads,
      });
    },
    cookies: createCookieStore(open<Cookie>(settings.cookies), settings.cookies, settings.jobName),
    accounts: openAccounts(roles),
    digests: openDigestLog(open<DigestSent>(settings.digests)),
    demo: { log, accounts: roles },
  };
}
