import type { HomeUsageConfig, Logger } from "@home-usage/core";
import { type Response, Router } from "express";
import type { MongoClient } from "mongodb";
import { sendData, sendError } from "./envelope.js";
import { FAVICON } from "./page.js";

/** How long `/healthz` waits for the database before it says the database is unavailable. */
export const HEALTH_TIMEOUT_MS = 2_000;

/** `/healthz`, `/`, the favicon: what needs no sign-in. */
export function healthRoutes({
  client,
  config,
  logger,
}: {
  client: MongoClient;
  config: HomeUsageConfig;
  logger: Logger;
}): Router {
  const router = Router();

  // Never behind the report limiter, and bounded in time: it must answer promptly during a burst.
  router.get("/healthz", async (_req, res) => {
    try {
      // The driver's own timeout does not cover every wait (a server that stopped answering mid-socket):
      // the answer comes within HEALTH_TIMEOUT_MS whatever the driver does.
      const timeout = AbortSignal.timeout(HEALTH_TIMEOUT_MS);
      await Promise.race([
        client.db(config.target.db).command({ ping: 1 }, { timeoutMS: HEALTH_TIMEOUT_MS, signal: timeout }),
        new Promise((_, reject) => timeout.addEventListener("abort", () => reject(timeout.reason), { once: true })),
      ]);
      sendData(res, { status: "ok" });
    } catch (error) {
      // Anyone may ask; the database's address and the driver's words stay in the log.
      logger.warn(`healthz: the database does not answer: ${(error as Error).message.split("\n")[0]}`);
      sendError(res, 503, "unavailable", "database unavailable");
    }
  });

  router.get("/", (_req, res) => {
    res.redirect(302, "usage/login");
  });

  const icon = (_req: unknown, res: Response) => {
    res.set("Cache-Control", "public, max-age=86400");
    res.type("image/svg+xml").send(FAVICON);
  };
  router.get("/favicon.svg", icon);
  router.get("/favicon.ico", icon);
  return router;
}
