import { rename, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import {
  CHART_THEMES,
  type ChartTheme,
  clockOf,
  createUsageService,
  formatReport,
  formatTable,
  GROUP_COLUMNS,
  HomeUsageError,
  headlineField,
  headlineText,
  MAX_TITLE_LENGTH,
  metricColumns,
  namesPolicy,
  PERSON_COLUMNS,
  parseCohort,
  parseDuration,
  parseMetric,
  parseRetentionArguments,
  parseUsageArguments,
  pngTheme,
  refuseHiddenNames,
  renderChart,
  renderPng,
  reportRange,
  signEmbedToken,
} from "@home-usage/core";
import { type GlobalOptions, readConfig, withDatabase } from "../context.js";
import { periodsArgument } from "./retention.js";

export interface RangeOptions extends GlobalOptions {
  start?: string;
  end?: string;
  aggregate?: string;
}

/** The same query the API answers, for the terminal, in the rollup's time zone. */
async function query(options: RangeOptions & { metric?: string }, withHeadline = false) {
  const config = await readConfig(options);
  const now = clockOf(config)();
  const {
    query: usage,
    report: result,
    headline,
  } = await withDatabase(config, async (client) => {
    const service = createUsageService({ client, config });
    const opened = await service.open(options, now);
    const report = await service.read(opened, now);
    // The headline of `report`'s table: of the metric asked for, or of the distinct people.
    const field = options.metric && headlineField(parseMetric(options.metric, "--metric"));
    const headline = withHeadline ? await service.headline(opened, report, field || "user", now) : undefined;
    return { query: opened.query, report, headline };
  });
  return { usage, result, config, now, headline };
}

/** Distinct people per period and core4 group, as `/usage/login/groups` answers them. */
async function groupReport(options: RangeOptions & { format: "table" | "csv" | "json" | "markdown"; metric?: string }) {
  if (options.metric !== undefined) throw new HomeUsageError("E_USAGE", "--metric: not with --by group");
  const config = await readConfig(options);
  const now = clockOf(config)();
  const { report: result } = await withDatabase(config, (client) =>
    createUsageService({ client, config }).groups(options, now),
  );
  if (!result.asOf && options.format === "table") {
    throw new HomeUsageError("E_STATE", "the rollup is empty: run home-usage aggregate first");
  }
  const format = options.format === "table" ? "text" : options.format;
  process.stdout.write(formatTable(result.rows, GROUP_COLUMNS, format));
  if (options.format === "table") {
    const notes = [`groups of 1 to ${result.minGroupSize - 1} people suppressed (HOME_USAGE_MIN_GROUP_SIZE)`];
    if (result.minGroupSize <= 1) notes.pop();
    if (result.missing.length) notes.push(`no processed days, so no row, for: ${result.missing.join(", ")}`);
    for (const note of notes) process.stderr.write(`${note}\n`);
  }
}

export async function report(
  options: RangeOptions & { format: "table" | "csv" | "json" | "markdown"; metric?: string; by?: string },
) {
  if (options.by === "group") return groupReport(options);
  const metric = options.metric === undefined ? undefined : parseMetric(options.metric, "--metric");
  if (metric === "groups")
    throw new HomeUsageError("E_USAGE", "--metric: groups is a report of its own: use --by group");
  const { result, headline } = await query(options, options.format === "table");
  if (!result.asOf && options.format === "table") {
    throw new HomeUsageError("E_STATE", "the rollup is empty: run home-usage aggregate first");
  }
  const columns = metric && metricColumns(metric);
  process.stdout.write(formatReport(result.rows, options.format === "table" ? "text" : options.format, columns));
  if (options.format !== "table") return;
  if (result.missing.length) process.stderr.write(`no processed days, so no row, for: ${result.missing.join(", ")}\n`);
  for (const line of headline ? headlineText(headline) : []) process.stderr.write(`${line}\n`);
}

/** Everybody known to the rollup or with an account, with their logins in the range. */
export async function users(options: RangeOptions & { format: "table" | "csv" | "json" }) {
  const config = await readConfig(options);
  refuseHiddenNames(namesPolicy(config), "E_USAGE");
  const now = clockOf(config)();
  const { rows } = await withDatabase(config, (client) => createUsageService({ client, config }).people(options, now));
  process.stdout.write(formatTable(rows, PERSON_COLUMNS, options.format === "table" ? "text" : options.format));
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
  // Checked before the query, so a typo in the path costs nothing and names the directory as given.
  const out = whereTheUserStood(options.out);
  const directory = dirname(out);
  const found = await stat(directory).catch(() => null);
  if (!found?.isDirectory()) {
    throw new HomeUsageError(
      "E_USAGE",
      `--out: the directory ${dirname(options.out)} ${found ? "is not a directory" : "does not exist"}; create it, or give another --out`,
    );
  }
  const { usage, result, config, now } = await query(options);
  const rows =
    metric === "groups"
      ? (await withDatabase(config, (client) => createUsageService({ client, config }).groups(options, now))).report
          .lines
      : result.rows;
  const svg = await renderChart(rows, {
    aggregate: usage.aggregate,
    metric,
    title: options.title,
    width: options.width,
    height: options.height,
    theme: format === "png" ? pngTheme(theme) : theme,
    range: reportRange(usage, result, { endGiven: Boolean(options.end) }),
  });
  const bytes = format === "png" ? await renderPng(svg, { scale: options.scale === "2" ? 2 : 1 }) : svg;
  // Written beside the target and renamed over it, so a wiki never serves half a file.
  const partial = `${out}.${process.pid}.tmp`;
  await writeFile(partial, bytes);
  await rename(partial, out);
  process.stdout.write(`wrote ${out}: ${result.rows.length} ${usage.aggregate}s\n`);
}

/**
 * A relative path as the user meant it: from the folder they stood in. `pnpm home-usage` runs from the
 * repository's root and says where the user was in INIT_CWD.
 */
export function whereTheUserStood(path: string): string {
  return isAbsolute(path) ? path : resolve(process.env.INIT_CWD || process.cwd(), path);
}

export async function embedUrl(
  options: RangeOptions & {
    title?: string;
    metric?: string;
    expires: string;
    baseUrl?: string;
    png?: boolean;
    retention?: boolean;
    cohort?: string;
  },
): Promise<void> {
  // With --retention, --periods is the heatmap's N, not the summaries collection (see retention).
  const retention = options.retention ? periodsArgument(options) : undefined;
  const config = await readConfig(retention?.global ?? options);
  if (!config.embedSecret) {
    throw new HomeUsageError("E_USAGE", "HOME_USAGE_EMBED_SECRET is not set: it must be the same secret the API has");
  }
  const now = clockOf(config)();
  // Checked now so a bad URL is not discovered in a wiki; stored as given, so ranges without a start roll.
  if (retention) {
    if (options.aggregate !== undefined || options.metric !== undefined) {
      throw new HomeUsageError(
        "E_USAGE",
        "--retention: the heatmap takes --cohort and --periods, not --aggregate or --metric",
      );
    }
    parseCohort(options.cohort, "--cohort");
    parseRetentionArguments({ ...options, periods: retention.periods }, { zone: config.timezone, now });
  } else {
    parseUsageArguments(options, { zone: config.timezone, now });
  }
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
  const shown = retention
    ? { chart: "retention", cohort: options.cohort, periods: String(retention.periods) }
    : { aggregate: options.aggregate, metric: options.metric };
  const args = Object.fromEntries(
    Object.entries({ start: options.start, end: options.end, ...shown, title: options.title }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  const token = signEmbedToken(args, { secret: config.embedSecret, expires: new Date(now.getTime() + lifetime) });
  const route = retention ? "/usage/login/retention/embed/" : "/usage/login/embed/";
  const url = `${base.origin}${base.pathname.replace(/\/$/, "")}${route}${token}`;
  process.stdout.write(`${url}.${options.png ? "png" : "svg"}\n`);
}
