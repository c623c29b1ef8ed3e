import { clockOf, collections, formatNamespace, HomeUsageError, parseDate } from "@home-usage/core";
import { writeDemoData, writeDemoRoles } from "@home-usage/demo";
import { type GlobalOptions, loggerFor, readConfig, withDatabase } from "../context.js";

export interface DemoDataCommandOptions extends GlobalOptions {
  days: number;
  users: number;
  seed: number;
  end: string;
  drop?: boolean;
}

export async function demoData(options: DemoDataCommandOptions): Promise<void> {
  const config = await readConfig(options);
  const now = clockOf(config)();
  // Demo days are UTC days, whatever zone the rollup counts in.
  const end = parseDate(options.end, { zone: "UTC", now, name: "--end" });
  if (end > parseDate("today", { zone: "UTC", now, name: "--end" })) {
    throw new HomeUsageError("E_USAGE", `--end: ${end.toISODate()} is after today`);
  }
  const logger = loggerFor(options);
  const target = formatNamespace(config.source);
  const summary = await withDatabase(config, async (client) => {
    const { demo } = collections(client, config);
    const collection = demo.log;
    if (options.drop) {
      await collection.drop().catch(() => {});
      logger.info(`dropped ${target}`);
    }
    let lastLog = Date.now();
    const result = await writeDemoData(
      collection,
      { days: options.days, users: options.users, seed: options.seed, end: end.toJSDate() },
      (written) => {
        if (Date.now() - lastLog < 5_000) return;
        lastLog = Date.now();
        logger.info(`demo-data: ${written} records written`);
      },
    );
    // The demo log is ours, so it gets the index a core4 log should have.
    await collection.createIndex({ created: 1 });
    const roles = await writeDemoRoles(demo.accounts, {
      users: options.users,
    });
    return { ...result, roles };
  });
  process.stdout.write(
    `demo data in ${target}: ${summary.inserted} records written (${summary.alreadyPresent} already there), ${summary.logins} logins of ${summary.people} people; log records from ${summary.first.toISOString().slice(0, 10)} to ${summary.last.toISOString().slice(0, 10)}, the first login on ${summary.firstLogin?.toISOString().slice(0, 10) ?? "none"} (where aggregate starts; it runs through today); ${summary.roles.accounts} accounts (${summary.roles.disabled} disabled) and ${summary.roles.groups} groups in ${formatNamespace(config.roles)}\n`,
  );
}
