import type { HomeUsageConfig } from "@home-usage/core";
import type { Request } from "express";

/**
 * Where readers reach this server, for absolute links and embed snippets: HOME_USAGE_PUBLIC_URL when set,
 * else the request's scheme and host (X-Forwarded-Proto/Host only with HOME_USAGE_TRUST_PROXY).
 */
export function publicBase(req: Request, config: Pick<HomeUsageConfig, "publicUrl">): string {
  if (config.publicUrl) return config.publicUrl;
  // Express reads X-Forwarded-* only when "trust proxy" is set, which createServer does on trustProxy.
  return `${req.protocol}://${req.host}`;
}

/** Whether the reader's connection is HTTPS: the request's own, or the public URL's. */
export function isHttps(req: Request, config: Pick<HomeUsageConfig, "publicUrl">): boolean {
  return req.secure || config.publicUrl?.startsWith("https:") === true;
}
