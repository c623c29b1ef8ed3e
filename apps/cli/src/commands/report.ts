import { rename, writeFile } from "node:fs/promises";
import {
  CHART_THEMES,
  type ChartTheme,
  formatReport,
  HomeUsageError,
  MAX_TITLE_LENGTH,
  parseDuration,
  parseMetric,
  parseUsageArguments,
  type RollupDay,
  renderChart,
  renderPng,
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
  return { usage, result, config, now: context.now };
}

export async function report(options: RangeOptions & { format: "table" | "csv" | "json" | "markdown" }) {
  const { result } = await query(options);
  process.stdout.write(formatReport(result.rows, options.format === "table" ? "text" : options.format));
  if (result.missing.length && options.format === "table") {
    process.stderr.write(`no processed days, so no row, for: ${result.missing.join(", ")}\n`);
  }
}

export interface PlotOptions extends RangeOptions {
  title?: string;
  width?: number;
  height?: number;
  metric?: string;
  theme?: string;
  scale?: string;
  out: string;
}

export async function plot(options: PlotOptions) {
  const format = /\.(svg|png)$/i.exec(options.out)?.[1]?.toLowerCase();
  if (!format) throw new HomeUsageError("E_USAGE", `--out: ${options.out} must end in .svg or .png`);
  const metric = parseMetric(options.metric, "--metric");
  const theme = (options.theme ?? "light") as ChartTheme;
  if (!CHART_THEMES.includes(theme)) {
    throw new HomeUsageError("E_USAGE", `--theme: unknown "${options.theme}" (use ${CHART_THEMES.join(", ")})`);
  }
  if (options.scale !== undefined && options.scale !== "1" && options.scale !== "2") {
    throw new HomeUsageError("E_USAGE", `--scale: must be 1 or 2`);
  }
  if (options.scale !== undefined && format !== "png") throw new HomeUsageError("E_USAGE", "--scale: only for .png");
  const { usage, result, config, now } = await query(options);
  const end = usage.end;
  const svg = await renderChart(result.rows, {
    aggregate: usage.aggregate,
    metric,
    title: options.title,
    width: options.width,
    height: options.height,
    // A PNG cannot follow the viewer's colour scheme.
    theme: format === "png" && theme === "auto" ? "light" : theme,
    range: {
      start: usage.start.toFormat("yyyy-MM-dd"),
      end: end.equals(end.startOf("day"))
        ? end.minus({ days: 1 }).toFormat("yyyy-MM-dd")
        : end.toFormat("yyyy-MM-dd HH:mm"),
      zone: config.timezone,
      // Swedish writes dates as ISO 8601 does.
      asOf: new Intl.DateTimeFormat("sv-SE", {
        timeZone: config.timezone,
        dateStyle: "short",
        timeStyle: "short",
      }).format(now),
    },
  });
  const bytes = format === "png" ? await renderPng(svg, { scale: options.scale === "2" ? 2 : 1 }) : svg;
  // Written beside the target and renamed over it, so a wiki never serves half a file.
  const partial = `${options.out}.${process.pid}.tmp`;
  await writeFile(partial, bytes);
  await rename(partial, options.out);
  process.stdout.write(`wrote ${options.out}: ${result.rows.length} ${usage.aggregate}s\n`);
}

export async function embedUrl(
  options: RangeOptions & { title?: string; metric?: string; expires: string; baseUrl?: string; png?: boolean },
): Promise<void> {
  const config = await readConfig(options);
  if (!config.embedSecret) {
    throw new HomeUsageError("E_USAGE", "HOME_USAGE_EMBED_SECRET is not set: it must be the same secret the API has");
  }
  const now = config.now ?? new Date();
  // Checked now so a bad URL is not discovered in a wiki; stored as given, so ranges without a start roll.
  parseUsageArguments(options, { zone: config.timezone, now });
  if (options.metric !== undefined) parseMetric(options.metric, "--metric");
  if (options.title !== undefined && options.title.length > MAX_TITLE_LENGTH) {
    throw new HomeUsageError("E_USAGE", `--title: must be at most ${MAX_TITLE_LENGTH} characters`);
  }
  const lifetime = parseDuration(options.expires, "--expires");
  const baseUrl = options.baseUrl ?? config.publicUrl;
  if (!baseUrl) {
    throw new HomeUsageError("E_USAGE", "--base-url: say where the API is reached (or set HOME_USAGE_PUBLIC_URL)");
  }
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new HomeUsageError("E_USAGE", `--base-url: "${baseUrl}" is not a URL`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new HomeUsageError("E_USAGE", `--base-url: "${baseUrl}" must be http or https`);
  }
  const args = Object.fromEntries(
    Object.entries({
      start: options.start,
      end: options.end,
      aggregate: options.aggregate,
      title: options.title,
      metric: options.metric,
    }).filter(([, v]) => v !== undefined),
  );
  const token = signEmbedToken(args, { secret: config.embedSecret, expires: new Date(now.getTime() + lifetime) });
  const url = `${base.origin}${base.pathname.replace(/\/$/, "")}/usage/login/embed/${token}`;
  process.stdout.write(`${url}.${options.png ? "png" : "svg"}\n`);
}
