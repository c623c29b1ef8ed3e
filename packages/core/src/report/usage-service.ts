import type { MongoClient } from "mongodb";
import { collections } from "../collections.js";
import type { RollupSettings, RollupStore } from "../rollup/rollup.js";
import type { HomeUsageConfig } from "../settings/config.js";
import { sharedRead } from "../shared-read.js";
import { type GroupReport, readGroups } from "./group-report.js";
import { type Headline, headlineOf, sameElapsedRange } from "./headline.js";
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
  const sharedSettings = sharedRead(options.settingsTtlMs ?? 0, () => storeFor().settings());

  const open = async (store: RollupStore, args: UsageArguments, now: Date, signal?: AbortSignal): Promise<Opened> => {
    const settings = options.settingsTtlMs ? await sharedSettings(signal) : await store.settings();
    const zone = rollupZone(settings, config);
    return { settings, zone, query: parseUsageArguments(args, { zone, now }) };
  };

  const read = (opened: Opened, now: Date, signal?: AbortSignal): Promise<UsageReport> =>
    readUsage(storeFor(signal), opened.settings, opened.query, { now, zone: opened.zone });

  const readGroupsOf = (opened: Opened, signal?: AbortSignal): Promise<GroupReport> =>
    readGroups(storeFor(signal), opened.settings, roles, opened.query, {
      zone: opened.zone,
      minGroupSize: config.minGroupSize,
      maxTimeMS,
      signal,
    });

  return {
    /**
     * The rollup's settings, the zone to read it in, and the arguments read in that zone: what a
     * caller needs before it decides whether to read (the API keys its cache on the query).
     */
    open: (args: UsageArguments, now: Date, signal?: AbortSignal) => open(storeFor(signal), args, now, signal),

    /** The report of a query `open` gave; `signal` stops the reads. */
    read,

    /** Distinct people per period with every metric: `open`, then `read`. */
    async report(
      args: UsageArguments,
      now: Date,
      signal?: AbortSignal,
    ): Promise<{ query: UsageQuery; report: UsageReport }> {
      const opened = await open(storeFor(signal), args, now, signal);
      return { query: opened.query, report: await read(opened, now, signal) };
    },

    /** The rollup's settings, its zone, and the retention arguments read in that zone. */
    async openRetention(args: RetentionArguments, now: Date, signal?: AbortSignal): Promise<OpenedRetention> {
      const settings = options.settingsTtlMs ? await sharedSettings(signal) : await storeFor(signal).settings();
      const zone = rollupZone(settings, config);
      return { settings, zone, query: parseRetentionArguments(args, { zone, now }) };
    },

    /** The retention of a query `openRetention` gave; `signal` stops the reads. */
    readRetention: (opened: OpenedRetention, now: Date, signal?: AbortSignal): Promise<RetentionReport> =>
      readRetention(storeFor(signal), opened.settings, opened.query, { now, zone: opened.zone }),

    /** First-time cohorts and how many of each came back in each later period. */
    async retention(
      args: RetentionArguments,
      now: Date,
      signal?: AbortSignal,
    ): Promise<{ query: RetentionQuery; report: RetentionReport }> {
      const store = storeFor(signal);
      const settings = await store.settings();
      const zone = rollupZone(settings, config);
      const query = parseRetentionArguments(args, { zone, now });
      return { query, report: await readRetention(store, settings, query, { now, zone }) };
    },

    /**
     * The headline of a report: its latest complete period against the one before, and the period in
     * progress against the same elapsed part of the one before (one more small read, of that part).
     */
    async headline(
      opened: Opened,
      report: UsageReport,
      field: MetricField,
      now: Date,
      signal?: AbortSignal,
    ): Promise<Headline> {
      const { query, zone } = opened;
      const current = report.rows.at(-1);
      const ranges = current?.partial
        ? sameElapsedRange(current, query.aggregate, { zone, now, end: query.end })
        : undefined;
      const rowOf = async (range: { start: string; end: string }) => {
        const cut = parseUsageArguments({ ...range, aggregate: query.aggregate }, { zone, now });
        return (await read({ ...opened, query: cut }, now, signal)).rows[0];
      };
      const elapsed = ranges && { current: await rowOf(ranges.current), previous: await rowOf(ranges.previous) };
      return headlineOf(report.rows, field, query.aggregate, elapsed);
    },

    /** The report of a query `open` gave, per core4 group. */
    readGroups: readGroupsOf,

    /** Distinct people per period and core4 group: `open`, then `readGroups`. */
    async groups(
      args: UsageArguments,
      now: Date,
      signal?: AbortSignal,
    ): Promise<{ query: UsageQuery; report: GroupReport }> {
      const opened = await open(storeFor(signal), args, now, signal);
      return { query: opened.query, report: await readGroupsOf(opened, signal) };
    },

    /** Everybody known to the rollup or with an account, with their logins in the range. */
    async people(
      args: UsageArguments,
      now: Date,
      signal?: AbortSignal,
    ): Promise<{ query: UsageQuery; zone: string; rows: PersonRow[] }> {
      const store = storeFor(signal);
      const { settings, zone, query } = await open(store, args, now, signal);
      const rows = await listPeople(store, settings, roles, query, {
        zone,
        now,
        exclude: loginExclusions(config),
        maxTimeMS,
        signal,
      });
      return { query, zone, rows };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;

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
