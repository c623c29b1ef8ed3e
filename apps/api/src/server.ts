import { createHash, timingSafeEqual } from "node:crypto";
import {
  type Cookie,
  createUsageService,
  formatReport,
  type HomeUsageConfig,
  HomeUsageError,
  type Logger,
  parseUsageArguments,
  renderChart,
  signEmbedToken,
  type UsageArguments,
  verifyEmbedToken,
} from "@home-usage/core";
import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import helmet from "helmet";
import type { DateTime } from "luxon";
import type { MongoClient } from "mongodb";
import { boundedInteger, MEDIA_TYPE, optionalText, reportFormat, requestArguments } from "./arguments.js";
import { errorHandler, requestId, sendData, sendError } from "./envelope.js";
import { openApiDocument } from "./openapi.js";
import { renderPage } from "./page.js";
import { createReportCache } from "./report-cache.js";

export interface ServerOptions {
  client: MongoClient;
  config: HomeUsageConfig;
  logger: Logger;
  /** @default config.now, else the wall clock */
  clock?: () => Date;
}

const CHART_ARGS = ["start", "end", "aggregate", "title", "width", "height"] as const;
const RAW_ARGS = ["start", "end", "aggregate", "content_type"] as const;
/** How long a signed embed URL made by the page stays valid. */
const PAGE_EMBED_DAYS = 365;

/** The home-usage HTTP API as an Express app; `index.ts` listens. */
export function createServer(options: ServerOptions): express.Express {
  const { client, config, logger } = options;
  const clock = options.clock ?? (() => config.now ?? new Date());
  const usage = createUsageService({ client, config });
  const tokens = config.apiTokens.map((t) => Buffer.from(t));
  const cacheScope = tokens.length ? "private" : "public";

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", "strong");
  app.set("query parser", "simple");
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          "default-src": ["'none'"],
          "style-src": ["'unsafe-inline'"],
          "img-src": ["'self'", "data:"],
          "form-action": ["'self'"],
        },
      },
      // Charts are embedded from wikis on other origins.
      crossOriginResourcePolicy: { policy: "cross-origin" },
    }),
  );
  app.use((req, res, next) => {
    const began = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - began) / 1e6;
      logger.info(`${req.method} ${req.path} ${res.statusCode} ${ms.toFixed(1)}ms id=${requestId(res)}`);
    });
    next();
  });
  app.use(express.json({ limit: "16kb" }));
  app.use(express.urlencoded({ extended: false, limit: "16kb" }));

  app.get("/healthz", async (_req, res) => {
    try {
      await client.db(config.target.db).command({ ping: 1 });
      sendData(res, { status: "ok" });
    } catch (error) {
      sendError(res, 503, "unavailable", `the database does not answer: ${(error as Error).message.split("\n")[0]}`);
    }
  });

  const authenticate: RequestHandler = (req, _res, next) => {
    if (tokens.length === 0) return next();
    const match = /^Bearer\s+(\S+)$/i.exec(req.get("authorization") ?? "");
    const given = Buffer.from(match?.[1] ?? "");
    if (!tokens.some((t) => t.length === given.length && timingSafeEqual(t, given))) {
      return next(
        new HomeUsageError(
          "E_UNAUTHORIZED",
          match ? "the API token is not valid" : "this API needs Authorization: Bearer <token>",
        ),
      );
    }
    next();
  };

  const cookies = client.db(config.cookies.db).collection<Cookie>(config.cookies.collection);
  const cache = createReportCache({
    // The job touches its cookie whenever it writes a day, so the cookie versions the rollup.
    version: async () => {
      const cookie = await cookies.findOne({ _id: config.jobName });
      const run = cookie?.lastRun;
      return JSON.stringify([cookie?.offset, run?.started, run?.days, run?.finished]);
    },
  });

  const report = async (args: UsageArguments) => {
    const now = clock();
    const { zone } = await usage.settings();
    const query = parseUsageArguments(args, { zone, now });
    // A report counts whole days: within one minute, neither `end` nor "now" changes which days it
    // reads or which periods are partial, unless `end` falls exactly on a midnight.
    const minute = (ms: number) => Math.floor(ms / 60_000);
    const key = [
      query.aggregate,
      query.start.startOf("day").toISO(),
      minute(query.end.toMillis()),
      query.end.equals(query.end.startOf("day")),
      minute(now.getTime()),
    ].join("|");
    return cache.get(`report|${key}`, () => usage.report(args, now));
  };

  const chart = async (args: Record<string, unknown>) => {
    const title = optionalText(args.title, "title", 200);
    const width = boundedInteger(args.width, "width", 200, 2000);
    const height = boundedInteger(args.height, "height", 150, 1200);
    const { query, report: result } = await report(args);
    const key = JSON.stringify([query.aggregate, result.rows, title, width, height]);
    const drawn = await cache.get(`chart|${key}`, async () => {
      const svg = await renderChart(result.rows, { aggregate: query.aggregate, title, width, height });
      return { svg, etag: `"${createHash("sha256").update(svg).digest("base64url").slice(0, 27)}"` };
    });
    return { ...drawn, query, report: result };
  };

  // Same data, same bytes: a strong ETag lets wikis and browsers revalidate cheaply.
  const sendSvg = (req: Request, res: Response, { svg, etag }: { svg: string; etag: string }) => {
    res.set("ETag", etag);
    res.set("Cache-Control", `${cacheScope}, max-age=300`);
    res.type("image/svg+xml; charset=utf-8");
    // Compared here rather than with req.fresh, which ignores If-None-Match when the request says
    // Cache-Control: no-cache; the origin answers a revalidation whatever caches were told.
    if (matchesEtag(req.get("if-none-match"), etag)) {
      res.status(304).end();
      return;
    }
    res.send(svg);
  };

  const route = (path: string, handler: (req: Request, res: Response) => Promise<void>, guard = authenticate) => {
    const run = (req: Request, res: Response, next: NextFunction) => handler(req, res).catch(next);
    app
      .route(path)
      .get(guard, run)
      .post(guard, run)
      .all((req, res) => {
        res.set("Allow", "GET, POST");
        sendError(res, 405, "method_not_allowed", `${req.method} is not allowed on ${path}; use GET or POST`);
      });
  };

  route("/usage/login/raw", async (req, res) => {
    const args = requestArguments(req, RAW_ARGS);
    const format = reportFormat(req, args.content_type);
    const { report: result } = await report(args);
    if (format === "json") return sendData(res, result.rows);
    res.type(`${MEDIA_TYPE[format]}; charset=utf-8`).send(formatReport(result.rows, format));
  });

  const plot = async (req: Request, res: Response) => sendSvg(req, res, await chart(requestArguments(req, CHART_ARGS)));
  route("/usage/login/plot", plot);
  route("/usage/login/plot.svg", plot);

  route(
    "/usage/login/embed/:token.svg",
    async (req, res) => {
      if (!config.embedSecret) {
        throw new HomeUsageError("E_FORBIDDEN", "embed URLs are off: the server has no HOME_USAGE_EMBED_SECRET");
      }
      requestArguments(req, []);
      const args = verifyEmbedToken(String(req.params.token), { secret: config.embedSecret, now: new Date() });
      sendSvg(req, res, await chart({ ...args }));
    },
    (_req, _res, next) => next(),
  );

  route("/usage/login", async (req, res) => {
    const args = requestArguments(req, CHART_ARGS);
    const given = {
      start: optionalText(args.start, "start", 100),
      end: optionalText(args.end, "end", 100),
      aggregate: optionalText(args.aggregate, "aggregate", 20),
      title: optionalText(args.title, "title", 200),
    };
    const { svg, query, report: result } = await chart({ ...given, width: args.width, height: args.height });
    const base = `${req.protocol}://${req.get("host")}`;
    const { title: _title, ...data } = given;
    const link = (path: string, values: Record<string, string | undefined>) => {
      const search = new URLSearchParams(defined(values)).toString();
      return `${base}${path}${search ? `?${search}` : ""}`;
    };
    const expires = new Date(Date.now() + PAGE_EMBED_DAYS * 86_400_000);
    const embed = config.embedSecret
      ? {
          url: `${base}/usage/login/embed/${signEmbedToken(defined(given), { secret: config.embedSecret, expires })}.svg`,
          signed: true,
          expires: expires.toISOString().slice(0, 10),
        }
      : { url: link("/usage/login/plot.svg", given), signed: false };
    res.set("Cache-Control", "no-cache");
    res.type("text/html; charset=utf-8").send(
      renderPage({
        args: given,
        aggregate: query.aggregate,
        range: { start: readable(query.start), end: readable(query.end) },
        timezone: result.timezone,
        report: result,
        svg,
        links: {
          csv: link("/usage/login/raw", { ...data, content_type: "csv" }),
          json: link("/usage/login/raw", { ...data, content_type: "json" }),
          svg: link("/usage/login/plot.svg", given),
        },
        embed,
      }),
    );
  });

  app.get("/openapi.json", authenticate, (_req, res) => {
    res.json(openApiDocument());
  });

  app.use((req, res) => sendError(res, 404, "not_found", `no such route: ${req.method} ${req.path}`));
  app.use(errorHandler((message) => logger.error(message)));
  return app;
}

/** A range end as people read it: the day alone at midnight, else day and minute. */
const readable = (dt: DateTime) => dt.toFormat(dt.equals(dt.startOf("day")) ? "yyyy-MM-dd" : "yyyy-MM-dd HH:mm");

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
