import {
  CHART_SIZE,
  CHART_THEMES,
  formatRetention,
  type HomeUsageConfig,
  HomeUsageError,
  MAX_TITLE_LENGTH,
  verifyEmbedToken,
} from "@home-usage/core";
import type { Request, RequestHandler, Response, Router } from "express";
import {
  boundedInteger,
  MEDIA_TYPE,
  oneOf,
  optionalText,
  pngScale,
  reportFormat,
  requestArguments,
} from "./arguments.js";
import type { Auth } from "./auth.js";
import { sendData } from "./envelope.js";
import type { ReportService, RetentionLook } from "./report-service.js";
import { abortOnClose, routeTable, sendImage } from "./route-table.js";

const DATA_ARGS = ["cohort", "start", "end", "periods"] as const;
const LOOK_ARGS = ["title", "width", "height", "theme", "background"] as const;
const CHART_ARGS = [...DATA_ARGS, ...LOOK_ARGS] as const;
/** What may stand beside a signed embed token: how the heatmap looks, never what it shows. */
const EMBED_ARGS = ["theme", "background", "scale", "width", "height"] as const;

export interface RetentionRoutesOptions {
  config: HomeUsageConfig;
  service: ReportService;
  auth: Auth;
  clock: () => Date;
}

/** How the heatmap looks, from a request's arguments. */
export function retentionLook(args: Record<string, unknown>): RetentionLook {
  return {
    title: optionalText(args.title, "title", MAX_TITLE_LENGTH),
    width: boundedInteger(args.width, "width", CHART_SIZE.width.min, CHART_SIZE.width.max),
    height: boundedInteger(args.height, "height", CHART_SIZE.height.min, CHART_SIZE.height.max),
    theme: oneOf(args.theme, "theme", CHART_THEMES, "light"),
    background: oneOf(args.background, "background", ["solid", "transparent"] as const, "solid"),
  };
}

/** `/usage/login/retention` and below: first-time cohorts as data, as a heatmap, and signed embeds. */
export function retentionRoutes({ config, service, auth, clock }: RetentionRoutesOptions): Router {
  const { router, route } = routeTable();
  const cacheScope = auth.required ? "private" : "public";

  route("/usage/login/retention", auth.data, async (req, res) => {
    const args = requestArguments(req, [...DATA_ARGS, "content_type"]);
    const format = reportFormat(req, args.content_type);
    const { query, report } = await service.retention(args, abortOnClose(res));
    if (format === "json") return sendData(res, report.rows);
    if (format === "csv") {
      const name = `home-usage-retention-${query.cohort}-${query.start.toFormat("yyyy-MM-dd")}-${query.end.toFormat("yyyy-MM-dd")}.csv`;
      res.set("Content-Disposition", `attachment; filename=${name}`);
    }
    res.type(`${MEDIA_TYPE[format]}; charset=utf-8`).send(formatRetention(report.rows, format));
  });

  const svg = async (req: Request, res: Response) => {
    const args = requestArguments(req, CHART_ARGS);
    const drawn = await service.retentionChart(args, retentionLook(args), abortOnClose(res));
    sendImage(req, res, { type: "image/svg+xml; charset=utf-8", body: drawn.svg, etag: drawn.etag, scope: cacheScope });
  };
  route("/usage/login/retention/plot", auth.data, svg);
  route("/usage/login/retention/plot.svg", auth.data, svg);
  route("/usage/login/retention/plot.png", auth.data, async (req, res) => {
    const args = requestArguments(req, [...CHART_ARGS, "scale"]);
    const drawn = await service.retentionPng(args, retentionLook(args), pngScale(args.scale), abortOnClose(res));
    sendImage(req, res, { type: "image/png", body: drawn.png, etag: drawn.etag, scope: cacheScope });
  });

  const embed = (format: "svg" | "png") => async (req: Request, res: Response) => {
    if (!config.embedSecret) {
      throw new HomeUsageError("E_FORBIDDEN", "embed URLs are off: the server has no HOME_USAGE_EMBED_SECRET");
    }
    const look = requestArguments(req, EMBED_ARGS);
    const signed = verifyEmbedToken(String(req.params.token), { secret: config.embedSecret, now: clock() });
    if (signed.chart !== "retention") {
      throw new HomeUsageError("E_FORBIDDEN", "this embed token is for the usage chart: use /usage/login/embed/");
    }
    const { chart: _chart, metric: _metric, aggregate: _aggregate, ...shown } = signed;
    const args: Record<string, unknown> = { ...shown, ...look };
    const signal = abortOnClose(res);
    if (format === "png") {
      const drawn = await service.retentionPng(args, retentionLook(args), pngScale(args.scale), signal);
      return sendImage(req, res, { type: "image/png", body: drawn.png, etag: drawn.etag, scope: cacheScope });
    }
    if (args.scale !== undefined) throw new HomeUsageError("E_USAGE", "scale: only PNG charts take a scale");
    const drawn = await service.retentionChart(args, retentionLook(args), signal);
    sendImage(req, res, { type: "image/svg+xml; charset=utf-8", body: drawn.svg, etag: drawn.etag, scope: cacheScope });
  };
  const open: RequestHandler = (_req, _res, next) => next();
  route("/usage/login/retention/embed/:token.svg", open, embed("svg"));
  route("/usage/login/retention/embed/:token.png", open, embed("png"));

  return router;
}
