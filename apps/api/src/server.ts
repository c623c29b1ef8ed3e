import {
  clockOf,
  collections,
  createCore4SignIn,
  type HomeUsageConfig,
  HomeUsageError,
  type Logger,
} from "@home-usage/core";
import express from "express";
import type { MongoClient } from "mongodb";
import { createAuth } from "./auth.js";
import { createChartRenderer } from "./chart-renderer.js";
import { errorHandler, sendError } from "./envelope.js";
import { healthRoutes } from "./health-routes.js";
import { requestLimits, requestLog, securityHeaders } from "./middleware.js";
import { openApiDocument } from "./openapi.js";
import { createReportService, type ReportService } from "./report-service.js";
import { retentionRoutes } from "./retention-routes.js";
import { createSignInThrottle } from "./sign-in-throttle.js";
import { signInRoutes } from "./signin-routes.js";
import { usageRoutes } from "./usage-routes.js";

export interface ServerOptions {
  client: MongoClient;
  config: HomeUsageConfig;
  logger: Logger;
  /** @default config.now, else the wall clock */
  clock?: () => Date;
  /** @default one built from client and config */
  service?: ReportService;
}

/** Refuses settings of sign-in that cannot work together, before anything starts. */
export function checkSignInSettings(config: HomeUsageConfig): void {
  if (config.core4TokenSecret && !config.core4Permission) {
    throw new HomeUsageError(
      "E_USAGE",
      "HOME_USAGE_CORE4_TOKEN_SECRET needs HOME_USAGE_CORE4_PERMISSION: the permission a token's account must hold",
    );
  }
}

/** The home-usage HTTP API as an Express app: middleware and routers, composed; `index.ts` listens. */
export function createServer(options: ServerOptions): express.Express {
  const { client, config, logger } = options;
  const clock = options.clock ?? clockOf(config);
  checkSignInSettings(config);
  const core4 = config.core4Permission
    ? createCore4SignIn({
        accounts: collections(client, config).accounts,
        permission: config.core4Permission,
        clock,
        maxTimeMS: config.queryTimeoutMs,
      })
    : undefined;
  const throttle = createSignInThrottle({ clock });
  const auth = createAuth({
    throttle,
    tokens: config.apiTokens,
    sessionSecret: config.sessionSecret,
    core4,
    core4TokenSecret: config.core4TokenSecret,
    clock,
  });
  const renderer = options.service ? undefined : createChartRenderer({ workers: config.reportConcurrency });
  const service =
    options.service ??
    createReportService({
      client,
      config,
      clock,
      render: renderer?.render,
      renderRetention: renderer?.renderRetention,
      rasterise: renderer?.rasterise,
    });

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", "strong");
  app.set("query parser", "simple");
  // Only then do req.protocol, req.host and req.secure believe X-Forwarded-Proto/Host.
  app.set("trust proxy", config.trustProxy);

  app.use(requestLog(logger));
  app.use(securityHeaders(config));
  app.use(requestLimits());
  app.use(express.json({ limit: "16kb", strict: false }));
  app.use(express.urlencoded({ extended: false, limit: "16kb" }));

  app.use(healthRoutes({ client, config, logger }));
  app.use(signInRoutes({ config, auth, core4, throttle, logger }));
  app.use(usageRoutes({ config, service, auth, clock }));
  app.use(retentionRoutes({ config, service, auth, clock }));
  app.get("/openapi.json", auth.data, (_req, res) => {
    res.json(openApiDocument());
  });

  app.use((req, res) => sendError(res, 404, "not_found", `no such route: ${req.method} ${req.path}`));
  app.use(errorHandler((message) => logger.error(message)));
  return app;
}
