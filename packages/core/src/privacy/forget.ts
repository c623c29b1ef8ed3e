import { DateTime } from "luxon";
import type { MongoClient } from "mongodb";
import { collections } from "../collections.js";
import { HomeUsageError } from "../errors.js";
import type { DayEntry } from "../rollup/people.js";
import type { RollupStore } from "../rollup/rollup.js";
import { RollupBuilder } from "../rollup/rollup-builder.js";
import { clockOf, type HomeUsageConfig } from "../settings/config.js";
import { nextDay, type Period, periodKeys } from "../time/periods.js";
import { checkSecret } from "./forgotten-people.js";
import { identityOf, pseudonym, secretCheck } from "./pseudonym.js";

export interface ForgetOptions {
  client: MongoClient;
  config: HomeUsageConfig;
  /** The names of the people to erase. */
  names: readonly string[];
  /** Who runs, for the lock. */
  host: string;
  pid: number;
  /** The current time. @default config.now, else the wall clock */
  clock?: () => Date;
}

export interface ForgetResult {
  /** Per name: the documents that named them, by kind, before the rewrite. */
  named: { name: string; documents: Partial<Record<Period, number>>; alreadyForgotten: boolean }[];
  /** Their logins and days with a login that were erased. */
  logins: number;
  days: number;
  /** Distinct people and logins over every processed day, before and after. */
  before: { people: number; logins: number };
  after: { people: number; logins: number };
  /** Day documents rewritten, period documents and summaries recomputed. */
  rewritten: { days: number; periods: number; summaries: number };
  /** How many people the rollup has forgotten now, all told. */
  forgotten: number;
  elapsedMs: number;
}

/**
 * Erases people from the rollup as if their log records had never been processed: their entries leave
 * every day, and every period, summary and metric is recomputed from the days. The rollup keeps their
 * keyed pseudonyms, so that no later run, backfill or rebuild counts them again. A name the rollup has
 * never seen is refused and nothing changes. core4's log is not touched: that is core4's operator's.
 */
export async function forgetPeople(options: ForgetOptions): Promise<ForgetResult> {
  const began = Date.now();
  const { config, names } = options;
  const secret = config.pseudonymSecret;
  if (!secret) {
    throw new HomeUsageError(
      "E_USAGE",
      "forget needs HOME_USAGE_PSEUDONYM_SECRET (16 characters or more): the rollup keeps the forgotten people's keyed pseudonyms, never their names",
    );
  }
  if (names.length === 0) throw new HomeUsageError("E_USAGE", "forget: name at least one person");
  const clock = options.clock ?? clockOf(config);
  const { rollup, cookies } = collections(options.client, config);
  const store = rollup();
  const lock = await cookies.acquireLock({
    leaseSeconds: config.lockLeaseSeconds,
    host: options.host,
    pid: options.pid,
  });
  const renewal = setInterval(() => void lock.renew().catch(() => {}), (config.lockLeaseSeconds * 1000) / 3);
  renewal.unref();
  try {
    const settings = await store.settings();
    const privacy = await store.privacy();
    checkSecret(privacy, secret);
    const wanted = [...new Set(names)].map((name) => ({ name, id: pseudonym(secret, name) }));
    const known = new Set(privacy?.forgotten ?? []);
    const named = await Promise.all(
      wanted.map(async ({ name, id }) => ({
        name,
        documents: Object.fromEntries(await store.documentsNaming([name, id])) as Partial<Record<Period, number>>,
        alreadyForgotten: known.has(id),
      })),
    );
    const unseen = named.filter((n) => Object.keys(n.documents).length === 0 && !n.alreadyForgotten);
    if (unseen.length > 0 || !settings?.first || !settings.last) {
      const list = (unseen.length > 0 ? unseen : named).map((n) => JSON.stringify(n.name)).join(", ");
      throw new HomeUsageError(
        "E_USAGE",
        `forget: the rollup has never seen ${list}; nothing was changed (names are compared exactly, as the log writes them)`,
      );
    }
    // Who is forgotten is written first: should the rewrite stop halfway, no run counts them again, and
    // forget with the same names finishes it.
    for (const { id } of wanted) known.add(id);
    await store.writePrivacy({ forgotten: [...known].sort(), secretCheck: secretCheck(secret), updated: clock() });
    const identity = identityOf(secret);
    const counts = await rebuild(
      store,
      { zone: settings.timezone, first: settings.first, last: settings.last },
      {
        clock,
        identity,
        gone: (user: string) => known.has(identity(user)),
        pseudonymsBefore: privacy?.pseudonymsBefore,
      },
    );
    await cookies.markRewritten(clock());
    return { named, ...counts, forgotten: known.size, elapsedMs: Date.now() - began };
  } finally {
    clearInterval(renewal);
    await lock.release().catch(() => {});
  }
}

/**
 * Recomputes the rollup from its own days, each without the people `gone` says: a day that named them
 * is rewritten, every period and summary is written anew. Days are read and written a checkpoint's worth
 * at a time, so memory holds what a job's run holds.
 */
async function rebuild(
  store: RollupStore,
  days: { zone: string; first: string; last: string },
  options: {
    clock: () => Date;
    identity: (user: string) => string;
    gone: (user: string) => boolean;
    pseudonymsBefore?: Date;
  },
): Promise<Omit<ForgetResult, "named" | "forgotten" | "elapsedMs">> {
  const { zone } = days;
  const first = DateTime.fromISO(days.first, { zone }).startOf("day");
  const last = DateTime.fromISO(days.last, { zone }).startOf("day");
  const expired = options.pseudonymsBefore;
  const builder = new RollupBuilder(store, {
    extent: days,
    clock: options.clock,
    zone,
    identity: options.identity,
    // Expired names stay pseudonyms.
    pseudonymsBefore: expired ? DateTime.fromJSDate(expired, { zone }) : undefined,
  });
  await builder.begin(first);
  const before = new Set<string>();
  const after = new Set<string>();
  const erased = { logins: 0, days: 0, loginsBefore: 0, loginsAfter: 0, rewritten: 0 };
  for (let day: DateTime = first; day <= last; day = nextDay(day)) {
    const doc = await store.day(periodKeys(day).day);
    const entries: DayEntry[] | null = doc ? doc.users.filter((e) => !options.gone(e.user)) : null;
    for (const e of doc?.users ?? []) {
      before.add(options.identity(e.user));
      erased.loginsBefore += e.logins;
      if (options.gone(e.user)) {
        erased.logins += e.logins;
        erased.days++;
      } else {
        after.add(options.identity(e.user));
        erased.loginsAfter += e.logins;
      }
    }
    const changed = doc !== null && entries !== null && entries.length !== doc.users.length;
    if (changed) erased.rewritten++;
    builder.addDay(day, entries, changed);
    if (builder.pending >= 128) await builder.flush();
  }
  builder.closeOpen();
  await builder.flush();
  return {
    logins: erased.logins,
    days: erased.days,
    before: { people: before.size, logins: erased.loginsBefore },
    after: { people: after.size, logins: erased.loginsAfter },
    rewritten: {
      days: erased.rewritten,
      periods: builder.written.people - erased.rewritten,
      summaries: builder.written.summaries,
    },
  };
}
