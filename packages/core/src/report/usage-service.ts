import type { MongoClient } from "mongodb";
import { collections } from "../collections.js";
import { HomeUsageError } from "../errors.js";
import { forgottenPeople } from "../privacy/forgotten-people.js";
import { type NamesPolicy, namesPolicy, refuseHiddenNames } from "../privacy/names-policy.js";
import { identityOf, secretCheck } from "../privacy/pseudonym.js";
import { compareUsers } from "../rollup/people.js";
import type { PrivacyRecord, RollupSettings } from "../rollup/rollup.js";
import type { HomeUsageConfig } from "../settings/config.js";
import { sharedRead } from "../shared-read.js";
import { type GroupReport, readGroups } from "./group-report.js";
import { reportHeadline } from "./headline.js";
import { listPeople, type PersonRow } from "./people-list.js";
import { parseRetentionArguments, type RetentionArguments, type RetentionQuery } from "./retention-arguments.js";
import { type RetentionReport, readRetention } from "./retention-report.js";
import { parseUsageArguments, type UsageArguments } from "./usage-arguments.js";
import { readUsage, rollupZone, type UsageQuery, type UsageReport } from "./usage-report.js";
import type { MetricField } from "./vocabulary.js";

/**
 * What the API and the CLI's `report`, `plot` and `users` share: read the rollup's settings, take its
 * time zone, check the arguments in it, and read the report.
 */
export function createUsageService(options: {
  client: MongoClient;
  config: HomeUsageConfig;
  /** A time budget for every read, in milliseconds. */
  maxTimeMS?: number;
  /** How long the rollup's settings are believed without reading them again (a server's many requests). @default 0 */
  settingsTtlMs?: number;
}) {
  const { client, config, maxTimeMS } = options;
  const { rollup, accounts: roles } = collections(client, config);
  const storeFor = (signal?: AbortSignal) => rollup({ maxTimeMS, signal });
  const names = namesPolicy(config);
  // With the secret, a name and its pseudonym (a name expired by HOME_USAGE_NAME_RETENTION_DAYS) are one person.
  const identity = identityOf(config.pseudonymSecret);
  const sharedSettings = sharedRead(options.settingsTtlMs ?? 0, () => storeFor().settings());

  /** The rollup's settings (a server's believed for `settingsTtlMs`), its zone, and arguments read in that zone. */
  const openWith = async <Query>(parse: (zone: string) => Query, signal?: AbortSignal) => {
    const settings = options.settingsTtlMs ? await sharedSettings(signal) : await storeFor(signal).settings();
    const zone = rollupZone(settings, config);
    return { settings, zone, query: parse(zone) };
  };
  const open = (args: UsageArguments, now: Date, signal?: AbortSignal): Promise<Opened> =>
    openWith((zone) => parseUsageArguments(args, { zone, now }), signal);

  const read = (opened: Opened, now: Date, signal?: AbortSignal): Promise<UsageReport> =>
    readUsage(storeFor(signal), opened.settings, opened.query, { now, zone: opened.zone, identity });

  const readGroupsOf = (opened: Opened, signal?: AbortSignal): Promise<GroupReport> =>
    readGroups(storeFor(signal), opened.settings, roles, opened.query, {
      zone: opened.zone,
      minGroupSize: config.minGroupSize,
      maxTimeMS,
      signal,
      identity,
    });

  const openRetention = (args: RetentionArguments, now: Date, signal?: AbortSignal): Promise<OpenedRetention> =>
    openWith((zone) => parseRetentionArguments(args, { zone, now }), signal);

  const readRetentionOf = (opened: OpenedRetention, now: Date, signal?: AbortSignal): Promise<RetentionReport> =>
    readRetention(storeFor(signal), opened.settings, opened.query, { now, zone: opened.zone, identity });

  return {
    /**
     * The rollup's settings, the zone to read it in, and the arguments read in that zone: what a
     * caller needs before it decides whether to read (the API keys its cache on the query).
     */
    open,

    /** The report of a query `open` gave; `signal` stops the reads. */
    read,

    /** Distinct people per period with every metric: `open`, then `read`. */
    async report(
      args: UsageArguments,
      now: Date,
      signal?: AbortSignal,
    ): Promise<{ query: UsageQuery; report: UsageReport }> {
      const opened = await open(args, now, signal);
      return { query: opened.query, report: await read(opened, now, signal) };
    },

    /** The rollup's settings, its zone, and the retention arguments read in that zone. */
    openRetention,

    /** The retention of a query `openRetention` gave; `signal` stops the reads. */
    readRetention: readRetentionOf,

    /** First-time cohorts and how many of each came back in each later period. */
    async retention(
      args: RetentionArguments,
      now: Date,
      signal?: AbortSignal,
    ): Promise<{ query: RetentionQuery; report: RetentionReport }> {
      const opened = await openRetention(args, now, signal);
      return { query: opened.query, report: await readRetentionOf(opened, now, signal) };
    },

    /**
     * The headline of a report: its latest complete period against the one before, and the period in
     * progress against the same elapsed part of the one before (one more small read, of that part).
     */
    headline: (opened: Opened, report: UsageReport, field: MetricField, now: Date, signal?: AbortSignal) =>
      reportHeadline({ query: opened.query, report }, field, now, async (range) => {
        const query = parseUsageArguments(range, { zone: opened.zone, now });
        return (await read({ ...opened, query }, now, signal)).rows[0];
      }),

    /** The report of a query `open` gave, per core4 group. */
    readGroups: readGroupsOf,

    /** Distinct people per period and core4 group: `open`, then `readGroups`. */
    async groups(
      args: UsageArguments,
      now: Date,
      signal?: AbortSignal,
    ): Promise<{ query: UsageQuery; report: GroupReport }> {
      const opened = await open(args, now, signal);
      return { query: opened.query, report: await readGroupsOf(opened, signal) };
    },

    /** How names may be shown, as the configuration says. */
    names,

    /**
     * Everybody known to the rollup or with an account, with their logins in the range, named as the
     * names policy says; refused (`E_FORBIDDEN`) when names are hidden.
     */
    async people(
      args: UsageArguments,
      now: Date,
      signal?: AbortSignal,
    ): Promise<{ query: UsageQuery; zone: string; rows: PersonRow[] }> {
      refuseHiddenNames(names, "E_FORBIDDEN");
      const store = storeFor(signal);
      const { settings, zone, query } = await open(args, now, signal);
      const reading = { zone, now, exclude: loginExclusions(config), maxTimeMS, signal, identity };
      const [people, privacy] = await Promise.all([
        listPeople(store, settings, roles, query, reading),
        store.privacy(),
      ]);
      return { query, zone, rows: asShown(people, privacy, names, config.pseudonymSecret) };
    },
  };
}

/** A query read in the rollup's zone, with the settings it was read against. */
export interface Opened {
  settings: RollupSettings | null;
  zone: string;
  query: UsageQuery;
}

/** Retention arguments read in the rollup's zone, with the settings they were read against. */
export interface OpenedRetention {
  settings: RollupSettings | null;
  zone: string;
  query: RetentionQuery;
}

/** The technical accounts the login signal leaves out; they are no people anywhere. */
const loginExclusions = (config: HomeUsageConfig): string[] => {
  const login = config.login as { exclude?: unknown };
  return Array.isArray(login.exclude) ? login.exclude.filter((u): u is string => typeof u === "string") : ["admin"];
};

/**
 * The people list as it may leave: the forgotten left out (they may still have an account in core4,
 * which takes the secret they were forgotten with to tell), every name through the names policy, and
 * pseudonyms in their own order, so that the order says nothing of the names behind them.
 */
function asShown(
  people: readonly PersonRow[],
  privacy: PrivacyRecord | null,
  names: NamesPolicy,
  secret: string | undefined,
): PersonRow[] {
  if (privacy && (!secret || privacy.secretCheck !== secretCheck(secret))) {
    // Without the job's secret the forgotten could not be told from the rest, nor a name from its pseudonym.
    throw new HomeUsageError(
      "E_CONFLICT",
      `the rollup keeps people forgotten or names expired with HOME_USAGE_PSEUDONYM_SECRET: set the same secret here as for the job to list people`,
    );
  }
  const forgotten = privacy && secret ? forgottenPeople(privacy, secret) : () => false;
  const rows = people.filter((row) => !forgotten(row.user)).map((row) => ({ ...row, user: names.display(row.user) }));
  if (names.mode !== "show") rows.sort(compareUsers);
  return rows;
}
