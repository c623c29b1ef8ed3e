import {
  chartTitle,
  formatReport,
  formatTable,
  type HomeUsageConfig,
  HomeUsageError,
  signEmbedToken,
  verifyEmbedToken,
} from "@home-usage/core";
import { type NextFunction, type Request, type RequestHandler, type Response, Router } from "express";
import { chartLook, MEDIA_TYPE, optionalText, pngScale, reportFormat, requestArguments } from "./arguments.js";
import { type Auth, describeReader, type Reader } from "./auth.js";
import { sendData, sendError } from "./envelope.js";
import { type FormError, formErrorOf, renderPage } from "./page.js";
import { publicBase } from "./public-url.js";
import type { ReportService } from "./report-service.js";

const DATA_ARGS = ["start", "end", "aggregate"] as const;
const RAW_ARGS = [...DATA_ARGS, "content_type"] as const;
const LOOK_ARGS = ["title", "width", "height", "metric", "theme", "background"] as const;
const CHART_ARGS = [...DATA_ARGS, ...LOOK_ARGS] as const;
const PNG_ARGS = [...CHART_ARGS, "scale"] as const;
const PAGE_ARGS = [...DATA_ARGS, "title", "metric"] as const;
const PEOPLE_ARGS = ["start", "end", "content_type"] as const;
const PEOPLE_COLUMNS = ["user", "logins", "days", "firstSeen", "lastSeen", "account"] as const;
/** What may stand beside a signed embed token: how the chart looks, never what it shows. */
const EMBED_ARGS = ["theme", "background", "scale", "width", "height"] as const;
/** How long a signed embed URL made by the page stays valid. */
const PAGE_EMBED_DAYS = 365;
/** The chart drawn for phones, beside the wide one; CSS shows one of them. */
const NARROW = { width: 360, height: 320 };

export interface UsageRoutesOptions {
  config: HomeUsageConfig;
  service: ReportService;
  auth: Auth;
  clock: () => Date;
}

/** `/usage/login` and below: the page, the data, the charts and signed embeds. */
export function usageRoutes({ config, service, auth, clock }: UsageRoutesOptions): Router {
  const router = Router();
  const cacheScope = auth.required ? "private" : "public";

  const route = (path: string, guard: RequestHandler, handler: (req: Request, res: Response) => Promise<void>) => {
    const run = (req: Request, res: Response, next: NextFunction) => handler(req, res).catch(next);
    router
      .route(path)
      .get(guard, run)
      .post(guard, run)
      .all((req, res) => {
        res.set("Allow", "GET, POST");
        sendError(res, 405, "method_not_allowed", `${req.method} is not allowed on ${path}; use GET or POST`);
      });
  };

  // Charts change when the job writes (a few times an hour at most): caches may keep them five minutes
  // and serve a stale one for an hour while they revalidate, which the strong ETag makes cheap.
  const sendImage = (req: Request, res: Response, type: string, body: string | Buffer, etag: string) => {
    res.set("ETag", etag);
    res.set("Cache-Control", `${cacheScope}, max-age=300, stale-while-revalidate=3600`);
    res.type(type);
    // Compared here rather than with req.fresh, which ignores If-None-Match when the request says
    // Cache-Control: no-cache; the origin answers a revalidation whatever caches were told.
    if (matchesEtag(req.get("if-none-match"), etag)) {
      res.status(304).end();
      return;
    }
    res.send(body);
  };

  route("/usage/login/raw", auth.data, async (req, res) => {
    const args = requestArguments(req, RAW_ARGS);
    const format = reportFormat(req, args.content_type);
    const { query, report } = await service.report(args, abortOnClose(res));
    if (format === "json") return sendData(res, report.rows);
    if (format === "csv") {
      const name = `home-usage-${query.aggregate}-${query.start.toFormat("yyyy-MM-dd")}-${query.end.toFormat("yyyy-MM-dd")}.csv`;
      res.set("Content-Disposition", `attachment; filename=${name}`);
    }
    res.type(`${MEDIA_TYPE[format]}; charset=utf-8`).send(formatReport(report.rows, format));
  });

  // Names are personal data: this route needs a token whenever tokens are configured, and is never cached.
  route("/usage/login/users", auth.data, async (req, res) => {
    const args = requestArguments(req, PEOPLE_ARGS);
    const format = reportFormat(req, args.content_type);
    const { query, rows } = await service.people(args, abortOnClose(res));
    res.set("Cache-Control", "private, no-store");
    if (format === "json") return sendData(res, rows);
    if (format === "csv") {
      const name = `home-usage-users-${query.start.toFormat("yyyy-MM-dd")}-${query.end.toFormat("yyyy-MM-dd")}.csv`;
      res.set("Content-Disposition", `attachment; filename=${name}`);
    }
    res.type(`${MEDIA_TYPE[format]}; charset=utf-8`).send(formatTable(rows, PEOPLE_COLUMNS, format));
  });

  const svg = async (req: Request, res: Response) => {
    const args = requestArguments(req, CHART_ARGS);
    const drawn = await service.chart(args, chartLook(args), abortOnClose(res));
    sendImage(req, res, "image/svg+xml; charset=utf-8", drawn.svg, drawn.etag);
  };
  route("/usage/login/plot", auth.data, svg);
  route("/usage/login/plot.svg", auth.data, svg);
  route("/usage/login/plot.png", auth.data, async (req, res) => {
    const args = requestArguments(req, PNG_ARGS);
    const drawn = await service.png(args, chartLook(args), pngScale(args.scale), abortOnClose(res));
    sendImage(req, res, "image/png", drawn.png, drawn.etag);
  });

  const embed = (format: "svg" | "png") => async (req: Request, res: Response) => {
    if (!config.embedSecret) {
      throw new HomeUsageError("E_FORBIDDEN", "embed URLs are off: the server has no HOME_USAGE_EMBED_SECRET");
    }
    const look = requestArguments(req, EMBED_ARGS);
    const signed = verifyEmbedToken(String(req.params.token), { secret: config.embedSecret, now: clock() });
    const args: Record<string, unknown> = { ...signed, ...look };
    const signal = abortOnClose(res);
    if (format === "png") {
      const drawn = await service.png(args, chartLook(args), pngScale(args.scale), signal);
      return sendImage(req, res, "image/png", drawn.png, drawn.etag);
    }
    if (args.scale !== undefined) throw new HomeUsageError("E_USAGE", "scale: only PNG charts take a scale");
    const drawn = await service.chart(args, chartLook(args), signal);
    sendImage(req, res, "image/svg+xml; charset=utf-8", drawn.svg, drawn.etag);
  };
  const open: RequestHandler = (_req, _res, next) => next();
  route("/usage/login/embed/:token.svg", open, embed("svg"));
  route("/usage/login/embed/:token.png", open, embed("png"));

  route("/usage/login", auth.page, async (req, res) => {
    const args = requestArguments(req, PAGE_ARGS);
    const given = {
      start: optionalText(args.start, "start", 100),
      end: optionalText(args.end, "end", 100),
      aggregate: optionalText(args.aggregate, "aggregate", 20),
      title: optionalText(args.title, "title", 200),
      metric: optionalText(args.metric, "metric", 40),
    };
    const base = publicBase(req, config);
    const reader = res.locals.reader as Reader | undefined;
    const signedIn = auth.required && reader?.via === "session";
    const who = signedIn && reader ? describeReader(reader) : undefined;
    res.set("Cache-Control", "no-store");
    let result: Parameters<typeof renderPage>[0]["result"];
    let error: FormError | undefined;
    try {
      const look = { ...chartLook(given), theme: "auto" as const };
      const signal = abortOnClose(res);
      const wide = await service.chart(given, look, signal);
      const narrow = await service.chart(given, { ...look, ...NARROW }, signal);
      const lifecycle = { ...look, metric: "lifecycle" as const, title: undefined };
      const lifecycleWide = await service.chart(given, lifecycle, signal);
      const lifecycleNarrow = await service.chart(given, { ...lifecycle, ...NARROW }, signal);
      const { query } = wide;
      const data = { start: given.start, end: given.end, aggregate: given.aggregate };
      const link = (path: string, values: Record<string, string | undefined>) => {
        const search = new URLSearchParams(defined(values)).toString();
        return `${base}${path}${search ? `?${search}` : ""}`;
      };
      const now = clock();
      const expires = new Date(now.getTime() + PAGE_EMBED_DAYS * 86_400_000);
      const token = config.embedSecret
        ? signEmbedToken(defined(given), { secret: config.embedSecret, expires })
        : undefined;
      const image = (format: "svg" | "png", extra: Record<string, string> = {}) =>
        token
          ? link(`/usage/login/embed/${token}.${format}`, extra)
          : link(`/usage/login/plot.${format}`, { ...given, ...extra });
      result = {
        aggregate: query.aggregate,
        metric: look.metric,
        title: given.title ?? chartTitle(query.aggregate, look.metric),
        range: wide.range,
        rows: wide.report.rows,
        missing: wide.report.missing,
        svg: { wide: wide.svg, narrow: narrow.svg },
        lifecycle: { wide: lifecycleWide.svg, narrow: lifecycleNarrow.svg },
        links: {
          csv: link("/usage/login/raw", { ...data, content_type: "csv" }),
          json: link("/usage/login/raw", { ...data, content_type: "json" }),
          svg: link("/usage/login/plot.svg", given),
          png: link("/usage/login/plot.png", { ...given, scale: "2" }),
        },
        embed: {
          svg: image("svg"),
          png: image("png", { scale: "2" }),
          dark: image("svg", { theme: "dark" }),
          light: image("svg", { theme: "light" }),
          signed: Boolean(token),
          expires: token ? expires.toISOString().slice(0, 10) : undefined,
        },
      };
    } catch (caught) {
      if (!(caught instanceof HomeUsageError && caught.code === "E_USAGE")) throw caught;
      error = formErrorOf(caught.message);
      res.status(400);
    }
    res.type("text/html; charset=utf-8").send(renderPage({ args: given, result, error, signedIn, who }));
  });

  return router;
}

/** A signal that aborts when the client goes away before its answer was sent. */
function abortOnClose(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(new Error("the client closed the connection"));
  });
  return controller.signal;
}

/** Whether an If-None-Match header names this entity tag (weak comparison, as for GET). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}

/** The entries that have a value. */
const defined = (values: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => Boolean(entry[1])));
