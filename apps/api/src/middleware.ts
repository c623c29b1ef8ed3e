import type { HomeUsageConfig, Logger } from "@home-usage/core";
import type { RequestHandler } from "express";
import helmet from "helmet";
import { HttpError, requestId } from "./envelope.js";
import { isHttps } from "./public-url.js";

/** One line per request, with its status, time and id. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const began = process.hrtime.bigint();
    res.on("close", () => {
      const ms = Number(process.hrtime.bigint() - began) / 1e6;
      const status = res.writableFinished ? String(res.statusCode) : "aborted";
      logger.info(`${req.method} ${req.path} ${status} ${ms.toFixed(1)}ms id=${requestId(res)}`);
    });
    next();
  };
}

/**
 * helmet, with a policy for a page without scripts. `upgrade-insecure-requests` only over HTTPS: on a
 * plain-HTTP deployment it would send the page's form to an https:// address nobody listens on.
 */
export function securityHeaders(config: Pick<HomeUsageConfig, "publicUrl">): RequestHandler {
  const policy = (upgrade: boolean) =>
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          "default-src": ["'none'"],
          "script-src": ["'none'"],
          "style-src": ["'unsafe-inline'"],
          "img-src": ["'self'", "data:"],
          "form-action": ["'self'"],
          "frame-ancestors": ["'none'"],
          "base-uri": ["'none'"],
          ...(upgrade ? { "upgrade-insecure-requests": [] } : {}),
        },
      },
      // Charts are embedded from wikis on other origins.
      crossOriginResourcePolicy: { policy: "cross-origin" },
      // HSTS and COOP mean something only over HTTPS; over HTTP browsers ignore COOP with a console error.
      strictTransportSecurity: upgrade,
      crossOriginOpenerPolicy: upgrade,
    });
  const secure = policy(true);
  const plain = policy(false);
  return (req, res, next) => (isHttps(req, config) ? secure : plain)(req, res, next);
}

/** Longest request target we read: past it, a 414 envelope (Node itself refuses past 16 kB of headers). */
const MAX_URL = 8192;
const BODY_TYPES = ["application/json", "application/x-www-form-urlencoded"];

/** Refuses over-long URLs, and bodies that are neither JSON nor a form, before reading them. */
export function requestLimits(): RequestHandler {
  return (req, res, next) => {
    if (req.url.length > MAX_URL) {
      return next(new HttpError(414, "too_large", `the URL is longer than ${MAX_URL} characters`));
    }
    const length = req.get("content-length");
    const hasBody = req.get("transfer-encoding") !== undefined || (length !== undefined && length !== "0");
    if (hasBody && !req.is(BODY_TYPES)) {
      // The body stays unread; closing the connection spares reading what nobody will use.
      res.set("Connection", "close");
      const type = req.get("content-type");
      return next(
        new HttpError(
          415,
          "unsupported_media_type",
          `the request body must be application/json or application/x-www-form-urlencoded${type ? `, not ${type.split(";")[0]}` : " (it has no Content-Type)"}`,
        ),
      );
    }
    next();
  };
}
