import { rename, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  formatReport,
  HomeUsageError,
  parseDuration,
  parseUsageArguments,
  type RollupDay,
  renderChart,
  signEmbedToken,
  uniqueUsers,
} from "@home-usage/core";
import { type GlobalOptions, readConfig, withDatabase } from "../context.js";

export interface RangeOptions extends GlobalOptions {
  start?: string;
  end?: string;
  aggregate?: string;
}

/** The same query the API answers, for the terminal. */
async function query(options: RangeOptions) {
  const config = await readConfig(options);
  const context = { zone: config.timezone, now: config.now ?? new Date() };
  const usage = parseUsageArguments(options, context);
  const result = await withDatabase(config, (client) =>
    uniqueUsers(client.db(config.target.db).collection<RollupDay>(config.target.collection), usage, context),
  );
  return { usage, result };
}

export async function report(options: RangeOptions & { format: "table" | "csv" | "json" | "markdown" }) {
  const { result } = await query(options);
  process.stdout.write(formatReport(result.rows, options.format === "table" ? "text" : options.format));
  if (result.missing.length && options.format === "table") {
    process.stderr.write(`no processed days, so no row, for: ${result.missing.join(", ")}\n`);
  }
}

export async function plot(options: RangeOptions & { title?: string; width?: number; height?: number; out: string }) {
  if (!options.out.endsWith(".svg")) throw new HomeUsageError("E_USAGE", `--out: ${options.out} must end in .svg`);
  // Checked before the query, so a typo in the path costs nothing and names the directory as given.
  const directory = dirname(options.out);
  const found = await stat(directory).catch(() => null);
  if (!found?.isDirectory()) {
    throw new HomeUsageError(
      "E_USAGE",
      `--out: the directory ${directory} ${found ? "is not a directory" : "does not exist"}; create it, or give another --out`,
    );
  }
  const { usage, result } = await query(options);
  const svg = await renderChart(result.rows, {
    aggregate: usage.aggregate,
    title: options.title,
    width: options.width,
    height: options.height,
  });
  // Written beside the target and renamed over it, so a wiki never serves half a file.
  const partial = `${options.out}.${process.pid}.tmp`;
  await writeFile(partial, svg);
  await rename(partial, options.out);
  process.stdout.write(`wrote ${options.out}: ${result.rows.length} ${usage.aggregate}s\n`);
}

export async function embedUrl(
  options: RangeOptions & { title?: string; expires: string; baseUrl: string },
): Promise<void> {
  const config = await readConfig(options);
  if (!config.embedSecret) {
    throw new HomeUsageError("E_USAGE", "HOME_USAGE_EMBED_SECRET is not set: it must be the same secret the API has");
  }
  const now = config.now ?? new Date();
  // Checked now so a bad URL is not discovered in a wiki; stored as given, so ranges without a start roll.
  parseUsageArguments(options, { zone: config.timezone, now });
  const lifetime = parseDuration(options.expires, "--expires");
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new HomeUsageError("E_USAGE", `--base-url: "${options.baseUrl}" is not a URL`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new HomeUsageError("E_USAGE", `--base-url: "${options.baseUrl}" must be http or https`);
  }
  const args = Object.fromEntries(
    Object.entries({
      start: options.start,
      end: options.end,
      aggregate: options.aggregate,
      title: options.title,
    }).filter(([, v]) => v !== undefined),
  );
  const token = signEmbedToken(args, { secret: config.embedSecret, expires: new Date(now.getTime() + lifetime) });
  process.stdout.write(`${base.origin}${base.pathname.replace(/\/$/, "")}/usage/login/embed/${token}.svg\n`);
}
