import {
  formatReport,
  formatTable,
  GROUP_COLUMNS,
  type HomeUsageConfig,
  HomeUsageError,
  metricColumns,
  PERSON_COLUMNS,
  parseMetric,
  publishedRows,
  usageColumns,
  verifyEmbedToken,
} from "@home-usage/core";
import type { Request, RequestHandler, Response, Router } from "express";
import {
  boundedInteger,
  chartLook,
  MEDIA_TYPE,
  optionalText,
  pngScale,
  reportFormat,
  requestArguments,
} from "./arguments.js";
import { type Auth, describeReader, type Reader } from "./auth.js";
import { sendData } from "./envelope.js";
import { type FormError, formErrorOf, type PageModel, renderPage } from "./page.js";
import { defined, pageArguments, pageResult } from "./page-model.js";
import { publicBase } from "./public-url.js";
import type { ReportService } from "./report-service.js";
import { abortOnClose, routeTable, sendImage } from "./route-table.js";

const DATA_ARGS = ["start", "end", "aggregate"] as const;
const RAW_ARGS = [...DATA_ARGS, "content_type"] as const;
/** `/raw` also takes `metric`, as `report --metric` does: its columns only. */
const RAW_METRIC_ARGS = [...RAW_ARGS, "metric"] as const;
const LOOK_ARGS = ["title", "width", "height", "metric", "theme", "background"] as const;
const CHART_ARGS = [...DATA_ARGS, ...LOOK_ARGS] as const;
const PNG_ARGS = [...CHART_ARGS, "scale"] as const;
const PAGE_ARGS = [...DATA_ARGS, "title", "metric"] as const;
const PEOPLE_ARGS = ["start", "end", "content_type", "limit", "offset"] as const;
/** People per page, unless `limit` says otherwise: a table a browser renders at once. */
const PEOPLE_PAGE = 1_000;
const MAX_PEOPLE_PAGE = 10_000;
/** Rows of a CSV download written at a time. */
const CSV_CHUNK = 1_000;
/** What may stand beside a signed embed token: how the chart looks, never what it shows. */
const EMBED_ARGS = ["theme", "background", "scale", "width", "height"] as const;

export interface UsageRoutesOptions {
  config: HomeUsageConfig;
  service: ReportService;
  auth: Auth;
  clock: () => Date;
}

/** `/usage/login` and below: the page, the data, the charts and signed embeds. */
export function usageRoutes({ config, service, auth, clock }: UsageRoutesOptions): Router {
  const { router, route } = routeTable();
  const cacheScope = auth.required ? "private" : "public";

  router.use("/usage/login", oneAddressForThePage);

  route("/usage/login/raw", auth.data, (req, res) => sendTable(req, res, service, "raw"));
  // Counts only, never names; groups of 1 to k−1 people are suppressed in every format.
  route("/usage/login/groups", auth.data, (req, res) => sendTable(req, res, service, "groups"));

  // Names are personal data: this route needs a token whenever tokens are configured, and is never cached.
  // Names are personal data: this route needs a token whenever tokens are configured, and is never cached.
  route("/usage/login/users", auth.data, async (req, res) => {
    const { limit: givenLimit, offset: givenOffset, ...args } = requestArguments(req, PEOPLE_ARGS);
    const format = reportFormat(req, args.content_type);
    const limit = boundedInteger(givenLimit, "limit", 1, MAX_PEOPLE_PAGE);
    const offset = boundedInteger(givenOffset, "offset", 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const { query, rows } = await service.people(args, abortOnClose(res));
    res.set("Cache-Control", "private, no-store");
    if (format === "csv") {
      const name = `home-usage-users-${query.start.toFormat("yyyy-MM-dd")}-${query.end.toFormat("yyyy-MM-dd")}.csv`;
      res.set("Content-Disposition", `attachment; filename=${name}`);
      res.type(`${MEDIA_TYPE.csv}; charset=utf-8`);
      // A download holds everyone (unless a page was asked for), written a thousand rows at a time.
      const all = rows.slice(offset, limit === undefined ? undefined : offset + limit);
      for (let i = 0; i === 0 || i < all.length; i += CSV_CHUNK) {
        const csv = formatTable(all.slice(i, i + CSV_CHUNK), PERSON_COLUMNS, "csv");
        res.write(i === 0 ? csv : csv.slice(csv.indexOf("\n") + 1));
      }
      res.end();
      return;
    }
    // Everything else comes in pages a browser renders at once; `next` is the next page's URL.
    const size = limit ?? PEOPLE_PAGE;
    const page = rows.slice(offset, offset + size);
    const more = offset + size < rows.length;
    if (format === "json") {
      const next = more
        ? `${publicBase(req, config)}${req.baseUrl}${req.path}?${new URLSearchParams(
            defined({ ...stringArgs(args), limit: String(size), offset: String(offset + size) }),
          )}`
        : undefined;
      return sendData(res, page, "OK", next === undefined ? {} : { next });
    }
    if (more)
      res.set(
        "Link",
        `<?${new URLSearchParams(defined({ ...stringArgs(args), limit: String(size), offset: String(offset + size) }))}>; rel="next"`,
      );
    res.type(`${MEDIA_TYPE[format]}; charset=utf-8`).send(formatTable(page, PERSON_COLUMNS, format));
  });

  const svg = async (req: Request, res: Response) => {
    const args = requestArguments(req, CHART_ARGS);
    const drawn = await service.chart(args, chartLook(args), abortOnClose(res));
    sendImage(req, res, { type: "image/svg+xml; charset=utf-8", body: drawn.svg, etag: drawn.etag, scope: cacheScope });
  };
  route("/usage/login/plot", auth.data, svg);
  route("/usage/login/plot.svg", auth.data, svg);
  route("/usage/login/plot.png", auth.data, async (req, res) => {
    const args = requestArguments(req, PNG_ARGS);
    const drawn = await service.png(args, chartLook(args), pngScale(args.scale), abortOnClose(res));
    sendImage(req, res, { type: "image/png", body: drawn.png, etag: drawn.etag, scope: cacheScope });
  });

  const embed = (format: "svg" | "png") => (req: Request, res: Response) =>
    sendEmbed(req, res, format, { config, service, clock, cacheScope });
  const open: RequestHandler = (_req, _res, next) => next();
  route("/usage/login/embed/:token.svg", open, embed("svg"));
  route("/usage/login/embed/:token.png", open, embed("png"));

  route("/usage/login", auth.page, async (req, res) => {
    const given = pageArguments(requestArguments(req, PAGE_ARGS));
    const reader = res.locals.reader as Reader | undefined;
    const signedIn = auth.required && reader?.via === "session";
    const who = signedIn && reader ? describeReader(reader) : undefined;
    res.set("Cache-Control", "no-store");
    let result: PageModel["result"];
    let error: FormError | undefined;
    try {
      result = await pageResult(given, {
        config,
        service,
        clock,
        base: publicBase(req, config),
        signal: abortOnClose(res),
      });
    } catch (caught) {
      if (!(caught instanceof HomeUsageError && caught.code === "E_USAGE")) throw caught;
      error = formErrorOf(caught.message);
      res.status(400);
    }
    res.type("text/html; charset=utf-8").send(renderPage({ args: given, result, error, signedIn, who }));
  });

  return router;
}

/** The request's arguments that are text, to carry into the next page's URL. */
const stringArgs = (args: Record<string, unknown>): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(args).map(([k, v]) => [k, typeof v === "string" ? v : undefined]));

/** The chart of a signed embed URL: what it shows comes from the token, how it looks may be added. */
async function sendEmbed(
  req: Request,
  res: Response,
  format: "svg" | "png",
  { config, service, clock, cacheScope }: Omit<UsageRoutesOptions, "auth"> & { cacheScope: "private" | "public" },
) {
  if (!config.embedSecret) {
    throw new HomeUsageError("E_FORBIDDEN", "embed URLs are off: the server has no HOME_USAGE_EMBED_SECRET");
  }
  const look = requestArguments(req, EMBED_ARGS);
  const signed = verifyEmbedToken(String(req.params.token), { secret: config.embedSecret, now: clock() });
  if (signed.chart === "retention") {
    throw new HomeUsageError(
      "E_FORBIDDEN",
      "this embed token is for the retention chart: use /usage/login/retention/embed/",
    );
  }
  const args: Record<string, unknown> = { ...signed, ...look };
  const signal = abortOnClose(res);
  if (format === "png") {
    const drawn = await service.png(args, chartLook(args), pngScale(args.scale), signal);
    return sendImage(req, res, { type: "image/png", body: drawn.png, etag: drawn.etag, scope: cacheScope });
  }
  if (args.scale !== undefined) throw new HomeUsageError("E_USAGE", "scale: only PNG charts take a scale");
  const drawn = await service.chart(args, chartLook(args), signal);
  sendImage(req, res, { type: "image/svg+xml; charset=utf-8", body: drawn.svg, etag: drawn.etag, scope: cacheScope });
}

/** `/raw` and `/groups`: the report's rows in the format asked for; CSV as a named download. */
async function sendTable(req: Request, res: Response, service: ReportService, kind: "raw" | "groups") {
  const args = requestArguments(req, kind === "raw" ? RAW_METRIC_ARGS : RAW_ARGS);
  const format = reportFormat(req, args.content_type);
  const metric = args.metric === undefined ? undefined : parseMetric(optionalText(args.metric, "metric", 40));
  if (metric === "groups")
    throw new HomeUsageError("E_USAGE", "metric: groups is a report of its own: use /usage/login/groups");
  const { query, report } =
    kind === "raw" ? await service.report(args, abortOnClose(res)) : await service.groups(args, abortOnClose(res));
  const columns = metric && metricColumns(metric);
  if (format === "json") {
    const published =
      "minGroupSize" in report
        ? publishedRows(report.rows, GROUP_COLUMNS)
        : publishedRows(report.rows, columns ?? usageColumns(report.rows));
    return sendData(res, published);
  }
  if (format === "csv") {
    const prefix = kind === "raw" ? "home-usage" : "home-usage-groups";
    const name = `${prefix}-${query.aggregate}-${query.start.toFormat("yyyy-MM-dd")}-${query.end.toFormat("yyyy-MM-dd")}.csv`;
    res.set("Content-Disposition", `attachment; filename=${name}`);
  }
  const text =
    "minGroupSize" in report
      ? formatTable(report.rows, GROUP_COLUMNS, format)
      : formatReport(report.rows, format, columns);
  res.type(`${MEDIA_TYPE[format]}; charset=utf-8`).send(text);
}

/**
 * The page at `/usage/login/` would post its form to `/usage/login/login`: one address for it. And what
 * answers here may depend on Accept (JSON, CSV, HTML, markdown, text), which a shared cache must know.
 */
const oneAddressForThePage: RequestHandler = (req, res, next) => {
  res.vary("Accept");
  if (req.path !== "/" || !req.originalUrl.split("?")[0]?.endsWith("/") || !["GET", "HEAD"].includes(req.method)) {
    return next();
  }
  const search = req.originalUrl.indexOf("?");
  res.redirect(308, `../login${search >= 0 ? req.originalUrl.slice(search) : ""}`);
};
