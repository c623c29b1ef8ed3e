import { type HomeUsageConfig, HomeUsageError } from "@home-usage/core";
import type { RequestHandler } from "express";

/**
 * Refuses a form posted from another site (login CSRF: signing a victim's browser in as the attacker,
 * or out). Browsers say where a request comes from: `Sec-Fetch-Site` (all current ones) must be
 * `same-origin` or `none`; without it, `Origin`, when sent, must be this server's own origin, the one
 * HOME_USAGE_PUBLIC_URL names or the one the request was addressed to. Clients that send neither
 * (curl, scripts) are no browser an attacker could borrow, and pass.
 */
export function sameOriginOnly(config: Pick<HomeUsageConfig, "publicUrl">): RequestHandler {
  const publicOrigin = config.publicUrl ? new URL(config.publicUrl).origin : undefined;
  return (req, _res, next) => {
    const site = req.get("sec-fetch-site")?.trim().toLowerCase();
    const origin = req.get("origin")?.trim();
    const ownOrigin = `${req.protocol}://${req.host}`;
    const allowed =
      site !== undefined
        ? site === "same-origin" || site === "none"
        : origin === undefined || origin === publicOrigin || origin.toLowerCase() === ownOrigin.toLowerCase();
    if (allowed) return next();
    next(
      new HomeUsageError(
        "E_FORBIDDEN",
        `${req.path} refuses a form sent from another site (${site !== undefined ? `Sec-Fetch-Site: ${site}` : "its Origin is not this server's"})`,
      ),
    );
  };
}
