import { rename, writeFile } from "node:fs/promises";
import {
  createUsageService,
  formatReport,
  HomeUsageError,
  parseDuration,
  parseUsageArguments,
  renderChart,
  signEmbedToken,
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
  const now = config.now ?? new Date();
  const { query: usage, report: result } = await withDatabase(config, (client) =>
    createUsageService({ client, config }).report(options, now),
  );
  return { usage, result };
}

export async function report(options: RangeOptions & { format: "table" | "csv" | "json" | "markdown" }) {
  const { result } = await query(options);
  if (!result.asOf && options.format === "table") {
    throw new HomeUsageError("E_STATE", "the rollup is empty: run home-usage aggregate first");
  }
  process.stdout.write(formatReport(result.rows, options.format === "table" ? "text" : options.format));
  if (result.missing.length && options.format === "table") {
    process.stderr.write(`no processed days, so no row, for: ${result.missing.join(", ")}\n`);
  }
}

/** Everybody known to the rollup or with an account, with their logins in the range. */
export async function users(options: RangeOptions & { format: "table" | "csv" | "json" }) {
  const config = await readConfig(options);
  const now = config.now ?? new Date();
  const { rows } = await withDatabase(config, (client) => createUsageService({ client, config }).people(options, now));
  if (options.format === "json") {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const cells = [
    ["user", "logins", "days", "firstSeen", "lastSeen", "account"],
    ...rows.map((r) => [
      r.user,
      String(r.logins),
      String(r.days),
      r.firstSeen ?? "",
      r.lastSeen ?? "",
      r.account ?? "",
    ]),
  ];
  if (options.format === "csv") {
    const quote = (cell: string) => (/[",\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);
    process.stdout.write(`${cells.map((row) => row.map(quote).join(",")).join("\n")}\n`);
    return;
  }
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length))) ?? [];
  const numeric = [false, true, true, false, false, false];
  process.stdout.write(
    `${cells
      .map((row) =>
        row
          .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
          .join("  ")
          .trimEnd(),
      )
      .join("\n")}\n`,
  );
}

export async function plot(options: RangeOptions & { title?: string; width?: number; height?: number; out: string }) {
  if (!options.out.endsWith(".svg")) throw new HomeUsageError("E_USAGE", `--out: ${options.out} must end in .svg`);
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
