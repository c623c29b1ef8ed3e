import {
  chartTitle,
  type HomeUsageConfig,
  HomeUsageError,
  headlineField,
  reportHeadline,
  signEmbedToken,
} from "@home-usage/core";
import { chartLook, optionalText } from "./arguments.js";
import type { PageModel } from "./page.js";
import type { ChartLook, ReportService } from "./report-service.js";

/** How long a signed embed URL made by the page stays valid. */
const PAGE_EMBED_DAYS = 365;
/** The chart drawn for phones, beside the wide one; CSS shows one of them. */
const NARROW = { width: 360, height: 320 };

/** The page's arguments as the form gave them. */
export type PageArguments = Record<"start" | "end" | "aggregate" | "title" | "metric", string | undefined>;

/** The page's arguments, each a bounded text or absent. */
export function pageArguments(args: Record<string, unknown>): PageArguments {
  return {
    start: optionalText(args.start, "start", 100),
    end: optionalText(args.end, "end", 100),
    aggregate: optionalText(args.aggregate, "aggregate", 20),
    title: optionalText(args.title, "title", 200),
    metric: optionalText(args.metric, "metric", 40),
  };
}

export interface PageContext {
  config: HomeUsageConfig;
  service: ReportService;
  clock: () => Date;
  /** Where people reach the API, for the absolute links the page shows. */
  base: string;
  signal: AbortSignal;
}

/** Everything the page shows for these arguments: its charts, rows, headline, links and embeds. */
export async function pageResult(given: PageArguments, context: PageContext): Promise<PageModel["result"]> {
  const { service, signal } = context;
  const look = { ...chartLook(given), theme: "auto" as const };
  const wide = await service.chart(given, look, signal);
  const narrow = await service.chart(given, { ...look, ...NARROW }, signal);
  const lifecycle = { ...look, metric: "lifecycle" as const, title: undefined };
  const lifecycleWide = await service.chart(given, lifecycle, signal);
  const lifecycleNarrow = await service.chart(given, { ...lifecycle, ...NARROW }, signal);
  const teams = await teamsOf(given, { ...look, metric: "groups" as const, title: undefined }, context);
  const { query } = wide;
  const data = { start: given.start, end: given.end, aggregate: given.aggregate };
  const link = linker(context.base);
  const embed = embedLinks(given, context);
  const cohort = query.aggregate === "day" || query.aggregate === "week" ? "week" : "month";
  return {
    aggregate: query.aggregate,
    metric: look.metric,
    title: given.title ?? chartTitle(query.aggregate, look.metric),
    range: wide.range,
    rows: wide.report.rows,
    missing: wide.report.missing,
    // The period in progress against the same elapsed part of the one before: one more report, cached.
    headline: await reportHeadline(
      wide,
      headlineField(look.metric),
      context.clock(),
      async (range) => (await service.report(range, signal)).report.rows[0],
    ),
    svg: { wide: wide.svg, narrow: narrow.svg },
    lifecycle: { wide: lifecycleWide.svg, narrow: lifecycleNarrow.svg },
    teams: { ...teams, csv: link("/usage/login/groups", { ...data, content_type: "csv" }) },
    links: {
      csv: link("/usage/login/raw", { ...data, content_type: "csv" }),
      json: link("/usage/login/raw", { ...data, content_type: "json" }),
      svg: link("/usage/login/plot.svg", given),
      png: link("/usage/login/plot.png", { ...given, scale: "2" }),
    },
    embed,
    retention: await retentionOf(cohort, given, look.background, context),
  };
}

/** Image URLs for wikis: signed when the server has an embed secret, plain chart URLs otherwise. */
function embedLinks(given: PageArguments, context: PageContext): NonNullable<PageModel["result"]>["embed"] {
  const { config } = context;
  const link = linker(context.base);
  const expires = new Date(context.clock().getTime() + PAGE_EMBED_DAYS * 86_400_000);
  const token = config.embedSecret
    ? signEmbedToken(defined(given), { secret: config.embedSecret, expires })
    : undefined;
  const image = (format: "svg" | "png", extra: Record<string, string> = {}) =>
    token
      ? link(`/usage/login/embed/${token}.${format}`, extra)
      : link(`/usage/login/plot.${format}`, { ...given, ...extra });
  return {
    svg: image("svg"),
    png: image("png", { scale: "2" }),
    dark: image("svg", { theme: "dark" }),
    light: image("svg", { theme: "light" }),
    signed: Boolean(token),
    expires: token ? expires.toISOString().slice(0, 10) : undefined,
  };
}

/** The retention heatmap of first-time cohorts, wide and narrow, with its links. */
async function retentionOf(
  cohort: "week" | "month",
  given: PageArguments,
  background: ChartLook["background"],
  context: PageContext,
): Promise<NonNullable<PageModel["result"]>["retention"]> {
  const { service, signal, config } = context;
  const link = linker(context.base);
  const retentionArgs = { cohort, ...(given.end ? { end: given.end } : {}) };
  const heat = { theme: "auto" as const, background };
  const wide = await service.retentionChart(retentionArgs, heat, signal);
  const narrow = await service.retentionChart(retentionArgs, { ...heat, width: 390 }, signal);
  const expires = new Date(context.clock().getTime() + PAGE_EMBED_DAYS * 86_400_000);
  const token = config.embedSecret
    ? signEmbedToken({ chart: "retention", ...retentionArgs }, { secret: config.embedSecret, expires })
    : undefined;
  return {
    cohort,
    svg: { wide: wide.svg, narrow: narrow.svg },
    links: {
      csv: link("/usage/login/retention", { ...retentionArgs, content_type: "csv" }),
      json: link("/usage/login/retention", retentionArgs),
      svg: link("/usage/login/retention/plot.svg", retentionArgs),
      png: link("/usage/login/retention/plot.png", { ...retentionArgs, scale: "2" }),
      embed: token
        ? link(`/usage/login/retention/embed/${token}.svg`, {})
        : link("/usage/login/retention/plot.svg", retentionArgs),
    },
  };
}

/**
 * The page's Teams section: its charts and rows, or why a range too long for a groups report has
 * none (the rest of the page stands).
 */
async function teamsOf(given: PageArguments, look: ChartLook, context: PageContext) {
  const { service, signal } = context;
  try {
    const wide = await service.chart(given, look, signal);
    const narrow = await service.chart(given, { ...look, ...NARROW }, signal);
    const { report } = await service.groups(given, signal);
    return { wide: wide.svg, narrow: narrow.svg, rows: report.rows, minGroupSize: report.minGroupSize };
  } catch (caught) {
    if (!(caught instanceof HomeUsageError && caught.code === "E_USAGE")) throw caught;
    return { wide: "", narrow: "", rows: [], minGroupSize: context.config.minGroupSize, error: caught.message };
  }
}

/** Absolute URLs under the API's public base, with the arguments that have a value. */
const linker =
  (base: string) =>
  (path: string, values: Record<string, string | undefined>): string => {
    const search = new URLSearchParams(defined(values)).toString();
    return `${base}${path}${search ? `?${search}` : ""}`;
  };

/** The entries that have a value. */
export const defined = (values: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => Boolean(entry[1])));
