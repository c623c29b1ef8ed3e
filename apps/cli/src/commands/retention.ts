import {
  clockOf,
  createUsageService,
  formatRetention,
  HomeUsageError,
  parseCohort,
  parseRetentionPeriods,
} from "@home-usage/core";
import { type GlobalOptions, readConfig, withDatabase } from "../context.js";

export interface RetentionOptions extends GlobalOptions {
  cohort?: string;
  start?: string;
  end?: string;
  format: "table" | "csv" | "json" | "markdown";
}

/**
 * `--periods` is also the global flag that names the summaries collection, and commander gives a global
 * flag its value wherever it stands: so in this command it is the number of periods, and the collection
 * comes from HOME_USAGE_PERIODS or the file.
 */
export function periodsArgument(options: GlobalOptions): { periods: number; global: GlobalOptions } {
  const { periods, ...global } = options;
  if (typeof periods === "string" && !/^\d+$/.test(periods)) {
    throw new HomeUsageError(
      "E_USAGE",
      `--periods: must be a whole number from 1 to 52, not "${periods}" (with retention, --periods counts periods; name the summaries collection with HOME_USAGE_PERIODS or the file's periods)`,
    );
  }
  return { periods: parseRetentionPeriods(periods, "--periods"), global };
}

/** First-time cohorts and the share of each that came back, in the rollup's time zone. */
export async function retention(options: RetentionOptions) {
  // Checked before connecting, so a typo costs nothing.
  const cohort = parseCohort(options.cohort, "--cohort");
  const { periods, global } = periodsArgument(options);
  const config = await readConfig(global);
  const now = clockOf(config)();
  const args = { cohort, start: options.start, end: options.end, periods };
  const { report } = await withDatabase(config, (client) =>
    createUsageService({ client, config }).retention(args, now),
  );
  if (!report.asOf && options.format === "table") {
    throw new HomeUsageError("E_STATE", "the rollup is empty: run home-usage aggregate first");
  }
  process.stdout.write(formatRetention(report.rows, options.format === "table" ? "text" : options.format));
}
