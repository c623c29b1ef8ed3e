import { createHash } from "node:crypto";
import {
  type ChartMetric,
  type ChartTheme,
  collections,
  createUsageService,
  type GroupReport,
  type HomeUsageConfig,
  type PersonRow,
  pngTheme,
  type ReportRange,
  type RetentionArguments,
  type RetentionChartOptions,
  type RetentionQuery,
  type RetentionReport,
  renderChart,
  renderPng,
  renderRetentionChart,
  reportRange,
  sharedRead,
  type UsageArguments,
  type UsageQuery,
  type UsageReport,
} from "@home-usage/core";
import type { MongoClient } from "mongodb";
import type { Rasterise, RenderChart, RenderRetentionChart } from "./chart-renderer.js";
import { createLimiter, type Limiter } from "./limiter.js";
import { createReportCache, type ReportCache } from "./report-cache.js";

export interface ReportServiceOptions {
  client: MongoClient;
  config: HomeUsageConfig;
  clock: () => Date;
  /** @default one from config.reportConcurrency and config.reportQueue */
  limiter?: Limiter;
  /** @default a 64 MiB cache */
  cache?: ReportCache;
  /** @default drawing in this thread */
  render?: RenderChart;
  /** The retention heatmap. @default drawing in this thread */
  renderRetention?: RenderRetentionChart;
  /** PNGs. @default rasterising on libuv's pool, encoding in this thread */
  rasterise?: Rasterise;
}

/** How the retention heatmap looks; the data comes from the retention arguments. */
export type RetentionLook = Pick<RetentionChartOptions, "title" | "width" | "height" | "theme" | "background">;

export interface RetentionAnswer {
  query: RetentionQuery;
  report: RetentionReport;
  /** The cohorts' range as people read it, the zone and the freshness. */
  range: ReportRange;
}

/** How a chart looks; the data comes from the report's arguments. */
export interface ChartLook {
  title?: string;
  width?: number;
  height?: number;
  metric: ChartMetric;
  theme: ChartTheme;
  background: "solid" | "transparent";
}

export interface ReportAnswer {
  /** This request's own query, never a cached one's. */
  query: UsageQuery;
  report: UsageReport;
  range: ReportRange;
}

/**
 * The one place the API counts, draws and rasterises: parse → count (cached, single-flight, bounded in
 * time and in concurrency) → draw. Every database query carries `maxTimeMS` and the request's abort
 * signal, so a request the client gave up stops its query.
 */
export function createReportService(options: ReportServiceOptions) {
  const parts = partsOf(options);
  const { config, clock, limiter, cache, usage } = parts;
  const inBudget = <T>(signal: AbortSignal | undefined, work: (budget: AbortSignal) => Promise<T>) =>
    withinBudget(config.queryTimeoutMs, signal, work);

  const report = (args: UsageArguments, signal?: AbortSignal) =>
    inBudget(signal, (budget) => countReport(parts, args, budget));

  /**
   * Distinct people per period and core4 group, cached like `report`, within the same budget:
   * memberships are read from sys.role with the people, so an answer is at most a minute older than
   * sys.role.
   */
  const groups = (args: UsageArguments, signal?: AbortSignal) =>
    inBudget(signal, (budget) => countGroups(parts, args, budget));

  async function chart(args: UsageArguments, look: ChartLook, signal?: AbortSignal) {
    const answer = await report(args, signal);
    const options = { aggregate: answer.query.aggregate, ...look, range: answer.range };
    // The groups chart draws the group report's lines; every other metric the report's rows.
    const rows = look.metric === "groups" ? (await groups(args, signal)).report.lines : answer.report.rows;
    const drawn = await drawnOnce(parts, ["svg", rows, answer.report.missing, options], signal, () =>
      parts.render(rows, options),
    );
    return { ...answer, ...drawn };
  }

  async function png(args: UsageArguments, look: ChartLook, scale: 1 | 2, signal?: AbortSignal) {
    const { svg } = await chart(args, { ...look, theme: pngTheme(look.theme) }, signal);
    return pngOf(parts, svg, scale, signal);
  }

  /** Everybody known to the rollup or with an account: never cached, since names are personal data. */
  async function people(args: UsageArguments, signal?: AbortSignal): Promise<{ query: UsageQuery; rows: PersonRow[] }> {
    const now = clock();
    return inBudget(signal, (budget) => limiter.run(budget, () => usage.people(args, now, budget)));
  }

  /** First-time cohorts' retention: cached and single-flight like reports, keyed on the same rollup version. */
  const retention = (args: RetentionArguments, signal?: AbortSignal) =>
    inBudget(signal, (budget) => countRetention(parts, args, budget));

  async function retentionChart(args: RetentionArguments, look: RetentionLook, signal?: AbortSignal) {
    const answer = await retention(args, signal);
    const options: RetentionChartOptions = {
      cohort: answer.query.cohort,
      periods: answer.query.periods,
      ...look,
      range: answer.range,
    };
    const drawn = await drawnOnce(parts, ["retention-svg", answer.report.rows, options], signal, () =>
      parts.renderRetention(answer.report.rows, options),
    );
    return { ...answer, ...drawn };
  }

  async function retentionPng(args: RetentionArguments, look: RetentionLook, scale: 1 | 2, signal?: AbortSignal) {
    const { svg } = await retentionChart(args, { ...look, theme: pngTheme(look.theme) }, signal);
    return pngOf(parts, svg, scale, signal);
  }

  return { report, groups, chart, png, people, retention, retentionChart, retentionPng, limiter, cache };
}

/** What the service's steps share: the core service, the cache, the limiter, the drawing, the rollup's version. */
function partsOf(options: ReportServiceOptions) {
  const { client, config, clock } = options;
  const usage = createUsageService({
    client,
    config,
    maxTimeMS: config.queryTimeoutMs,
    settingsTtlMs: VERSION_TTL_MS,
  });
  const { cookies } = collections(client, config);
  return {
    config,
    clock,
    usage,
    limiter: options.limiter ?? createLimiter({ concurrency: config.reportConcurrency, queue: config.reportQueue }),
    cache: options.cache ?? createReportCache(),
    render: options.render ?? renderChart,
    renderRetention: options.renderRetention ?? renderRetentionChart,
    rasterise: options.rasterise ?? renderPng,
    // The job touches its cookie whenever it writes a day, so the cookie versions the rollup. It is read
    // at most once a second (one read shared by the requests meanwhile): a cached report then answers
    // without a database round trip, and a finished run shows within a second.
    version: sharedRead(VERSION_TTL_MS, () => cookies.version({ maxTimeMS: config.queryTimeoutMs })),
  };
}

type Parts = ReturnType<typeof partsOf>;

const minute = (ms: number) => Math.floor(ms / 60_000);

/**
 * A usage report's cache key: a report counts whole days, so within one minute neither `end` nor "now"
 * changes which days it reads or which periods are partial, unless `end` falls exactly on a midnight.
 */
const usageKey = (query: UsageQuery, now: Date) => [
  query.aggregate,
  query.start.startOf("day").toISO(),
  minute(query.end.toMillis()),
  query.end.equals(query.end.startOf("day")),
  minute(now.getTime()),
];

async function countReport(parts: Parts, args: UsageArguments, signal: AbortSignal): Promise<ReportAnswer> {
  const { usage, cache, limiter } = parts;
  const now = parts.clock();
  // Periods are cut in the rollup's own zone (a zone set to another one is refused there).
  const opened = await usage.open(args, now, signal);
  const { query } = opened;
  const rollupVersion = await parts.version(signal);
  const result = await cache.get(
    ["report", rollupVersion.key, ...usageKey(query, now)],
    (flightSignal) => limiter.run(flightSignal, () => usage.read(opened, now, flightSignal)),
    { signal, size: reportSize },
  );
  return {
    query,
    report: result,
    range: reportRange(query, result, { endGiven: Boolean(args.end), written: rollupVersion.asOf }),
  };
}

async function countGroups(
  parts: Parts,
  args: UsageArguments,
  signal: AbortSignal,
): Promise<{ query: UsageQuery; report: GroupReport }> {
  const { usage, cache, limiter } = parts;
  const now = parts.clock();
  const opened = await usage.open(args, now, signal);
  const rollupVersion = await parts.version(signal);
  const [aggregate, ...rest] = usageKey(opened.query, now);
  const result = await cache.get(
    ["groups", rollupVersion.key, parts.config.minGroupSize, aggregate, ...rest],
    (flightSignal) => limiter.run(flightSignal, () => usage.readGroups(opened, flightSignal)),
    { signal, size: groupsSize },
  );
  return { query: opened.query, report: result };
}

async function countRetention(parts: Parts, args: RetentionArguments, signal: AbortSignal): Promise<RetentionAnswer> {
  const { usage, cache, limiter } = parts;
  const now = parts.clock();
  const opened = await usage.openRetention(args, now, signal);
  const { query } = opened;
  const rollupVersion = await parts.version(signal);
  const key = [
    "retention",
    rollupVersion.key,
    query.cohort,
    query.periods,
    query.start.toMillis(),
    query.end.toMillis(),
    // Which periods have started and which are partial changes with now, not within its minute.
    minute(now.getTime()),
  ];
  const result = await cache.get(
    key,
    (flightSignal) => limiter.run(flightSignal, () => usage.readRetention(opened, now, flightSignal)),
    { signal, size: retentionSize },
  );
  return {
    query,
    report: result,
    // The cohorts shown, where there are any; else the range asked for.
    range: {
      ...reportRange(
        query,
        { asOf: result.asOf, timezone: opened.zone },
        { endGiven: true, written: rollupVersion.asOf },
      ),
      ...(result.cohorts.length > 0
        ? { start: result.cohorts[0]?.cohort as string, end: result.cohorts.at(-1)?.cohort as string }
        : {}),
    },
  };
}

/** An SVG drawn once for its key however many ask at once, cached with its tag. */
function drawnOnce(parts: Parts, key: unknown[], signal: AbortSignal | undefined, draw: () => Promise<string>) {
  return parts.cache.get(
    key,
    (flightSignal) =>
      parts.limiter.run(flightSignal, async () => {
        const svg = await draw();
        return { svg, etag: etagOf(svg) };
      }),
    { signal, size: (value) => value.svg.length * 2 },
  );
}

/** A chart's SVG as PNG: cached by the SVG's tag, rasterised once however many ask at once. */
function pngOf(parts: Parts, svg: string, scale: 1 | 2, signal?: AbortSignal) {
  return parts.cache.get(
    ["png", etagOf(svg), scale],
    (flightSignal) =>
      parts.limiter.run(flightSignal, async () => {
        const bytes = await parts.rasterise(svg, { scale });
        return { png: bytes, etag: etagOf(bytes) };
      }),
    { signal, size: (value) => value.png.length },
  );
}

export type ReportService = ReturnType<typeof createReportService>;

/** How long the rollup's version and settings are believed without reading them again. */
const VERSION_TTL_MS = 1_000;

/**
 * Runs a request's reads within one time budget, whatever the database does: the reads are stopped, and
 * the answer is the budget's timeout (a 503 with Retry-After), when the budget runs out. Each query's own
 * `maxTimeMS` bounds the database's work; this bounds the waits it does not (a server that stopped
 * answering, many reads in a row).
 */
async function withinBudget<T>(ms: number, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>) {
  const timeout = AbortSignal.timeout(ms);
  const budget = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let stop = () => {};
  const expired = new Promise<never>((_, reject) => {
    stop = () => reject(budget.reason);
    budget.addEventListener("abort", stop, { once: true });
  });
  try {
    return await Promise.race([work(budget), expired]);
  } finally {
    budget.removeEventListener("abort", stop);
  }
}

/** Same bytes, same tag: a strong ETag lets wikis and browsers revalidate cheaply. */
function etagOf(data: string | Buffer): string {
  return `"${createHash("sha256").update(data).digest("base64url").slice(0, 27)}"`;
}

// What a row costs on V8's heap, measured (50,000 rows each, heap used after a full collection): a usage
// row about 770 bytes, a group row or line about 690, a retention row about 440, a missing day 36. The
// ISO strings luxon builds stay trees of their pieces, so a row weighs some four times its JSON. An
// estimate below the truth lets the cache hold that many times its bound.
const reportSize = (report: UsageReport) => 256 + report.rows.length * 800 + report.missing.length * 48;

const groupsSize = (report: GroupReport) =>
  256 + report.rows.length * 720 + report.lines.length * 720 + report.missing.length * 48;

const retentionSize = (report: RetentionReport) => 256 + report.rows.length * 460 + report.cohorts.length * 320;
