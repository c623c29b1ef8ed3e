import type { MongoClient } from "mongodb";
import { openRollupStore, type RollupSettings, type RollupStore } from "../rollup/rollup.js";
import type { HomeUsageConfig } from "../settings/config.js";
import { listPeople, type PersonRow, type RoleDocument } from "./people-list.js";
import { parseUsageArguments, type UsageArguments } from "./usage-arguments.js";
import { readUsage, rollupZone, type UsageQuery, type UsageReport } from "./usage-report.js";

/**
 * What the API and the CLI's `report`, `plot` and `users` share: read the rollup's settings, take its
 * time zone, check the arguments in it, and read the report.
 */
export function createUsageService(options: {
  client: MongoClient;
  config: HomeUsageConfig;
  /** A time budget for every read, in milliseconds. */
  maxTimeMS?: number;
}) {
  const { client, config, maxTimeMS } = options;
  const storeFor = (signal?: AbortSignal) => openRollupStore(client, config, { maxTimeMS, signal });
  const roles = client.db(config.roles.db).collection<RoleDocument>(config.roles.collection);

  const open = async (store: RollupStore, args: UsageArguments, now: Date) => {
    const settings = await store.settings();
    const zone = rollupZone(settings, config);
    return { settings, zone, query: parseUsageArguments(args, { zone, now }) };
  };

  return {
    /** The rollup's settings and the zone to read it in. */
    async settings(signal?: AbortSignal): Promise<{ settings: RollupSettings | null; zone: string }> {
      const settings = await storeFor(signal).settings();
      return { settings, zone: rollupZone(settings, config) };
    },

    /** Distinct people per period with every metric; `signal` stops the reads. */
    async report(
      args: UsageArguments,
      now: Date,
      signal?: AbortSignal,
    ): Promise<{ query: UsageQuery; report: UsageReport }> {
      const store = storeFor(signal);
      const { settings, zone, query } = await open(store, args, now);
      return { query, report: await readUsage(store, settings, query, { now, zone }) };
    },

    /** Everybody known to the rollup or with an account, with their logins in the range. */
    async people(
      args: UsageArguments,
      now: Date,
      signal?: AbortSignal,
    ): Promise<{ query: UsageQuery; zone: string; rows: PersonRow[] }> {
      const store = storeFor(signal);
      const { settings, zone, query } = await open(store, args, now);
      const rows = await listPeople(store, settings, roles, query, {
        zone,
        exclude: loginExclusions(config),
        maxTimeMS,
        signal,
      });
      return { query, zone, rows };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;

/** The technical accounts the login signal leaves out; they are no people anywhere. */
const loginExclusions = (config: HomeUsageConfig): string[] => {
  const login = config.login as { exclude?: unknown };
  return Array.isArray(login.exclude) ? login.exclude.filter((u): u is string => typeof u === "string") : ["admin"];
};
