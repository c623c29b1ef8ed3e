import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { HomeUsageError } from "@home-usage/core";
import type { Request, RequestHandler } from "express";

/** The browser session's cookie. */
export const SESSION_COOKIE = "home_usage_session";
/** How long a browser session lasts. */
export const SESSION_SECONDS = 12 * 3600;

export interface AuthOptions {
  /** The API tokens; none means no authentication at all. */
  tokens: readonly string[];
  /** The key that signs sessions. @default derived from the tokens with HMAC, so sessions survive restarts */
  sessionSecret?: string;
  clock: () => Date;
}

/**
 * Who may read: API clients with `Authorization: Bearer <token>`, and browsers with a signed session
 * cookie got by signing in with a token. A session names the token it was made with (by hash), so
 * taking a token out of HOME_USAGE_API_TOKENS ends its sessions too.
 */
export function createAuth(options: AuthOptions) {
  const tokens = options.tokens.map((t) => Buffer.from(t));
  const required = tokens.length > 0;
  const key = options.sessionSecret
    ? Buffer.from(options.sessionSecret)
    : createHmac("sha256", "home-usage session key")
        .update([...options.tokens].sort().join("\n"))
        .digest();
  const fingerprints = new Set(options.tokens.map(fingerprint));
  const sign = (body: string) => createHmac("sha256", key).update(body).digest("base64url");

  /** The configured token equal to `given`, compared in constant time. */
  const matchToken = (given: string): string | undefined => {
    const candidate = Buffer.from(given);
    const found = tokens.find((t) => t.length === candidate.length && timingSafeEqual(t, candidate));
    return found?.toString();
  };

  const bearer = (req: Request): "none" | "valid" | "invalid" => {
    const header = req.get("authorization");
    if (!header) return "none";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1] && matchToken(match[1]) ? "valid" : "invalid";
  };

  const session = (req: Request): "none" | "valid" | "expired" | "invalid" => {
    const value = readCookie(req.get("cookie"), SESSION_COOKIE);
    if (!value) return "none";
    const [expires, id, signature, extra] = value.split(".");
    if (!expires || !id || !signature || extra !== undefined || !/^\d+$/.test(expires)) return "invalid";
    const expected = sign(`${expires}.${id}`);
    if (
      signature.length !== expected.length ||
      !timingSafeEqual(Buffer.from(signature), Buffer.from(expected)) ||
      !fingerprints.has(id)
    ) {
      return "invalid";
    }
    return Number(expires) * 1000 > options.clock().getTime() ? "valid" : "expired";
  };

  const sessionCookie = (token: string, secure: boolean) => {
    const expires = Math.floor(options.clock().getTime() / 1000) + SESSION_SECONDS;
    const body = `${expires}.${fingerprint(token)}`;
    return cookieHeader(`${body}.${sign(body)}`, SESSION_SECONDS, secure);
  };

  return {
    required,
    /** Data routes: a bearer token, or a browser's session (same-site only, by SameSite=Strict). */
    data: ((req, _res, next) => {
      if (!required) return next();
      const given = bearer(req);
      if (given === "valid" || (given === "none" && session(req) === "valid")) return next();
      next(
        new HomeUsageError(
          "E_UNAUTHORIZED",
          given === "invalid" ? "the API token is not valid" : "this API needs Authorization: Bearer <token>",
        ),
      );
    }) as RequestHandler,
    /** Pages: as `data`, but a browser without a session is sent to the sign-in form. */
    page: ((req, res, next) => {
      if (!required) return next();
      const given = bearer(req);
      if (given === "valid") return next();
      const state = session(req);
      if (given === "none" && state === "valid") return next();
      if (given === "invalid") return next(new HomeUsageError("E_UNAUTHORIZED", "the API token is not valid"));
      const query = new URLSearchParams({ next: req.originalUrl });
      if (state === "expired") query.set("expired", "1");
      res.redirect(303, `${relativeRoot(req)}signin?${query}`);
    }) as RequestHandler,
    /** Checks a token typed into the sign-in form; the session cookie to set, or undefined. */
    signIn(token: string, secure: boolean): string | undefined {
      const found = matchToken(token.trim());
      return found ? sessionCookie(found, secure) : undefined;
    },
    /** Whether a browser's session is valid (for the sign-in page to move on). */
    hasSession: (req: Request) => session(req) === "valid",
    /** The header that ends a session. */
    signOutCookie: (secure: boolean) => cookieHeader("", 0, secure),
  };
}

export type Auth = ReturnType<typeof createAuth>;

/** A token's public name: enough to tell tokens apart, nothing to rebuild one from. */
const fingerprint = (token: string) => createHash("sha256").update(token).digest("base64url").slice(0, 16);

function cookieHeader(value: string, maxAge: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    "Path=/",
    `Max-Age=${maxAge}`,
    "HttpOnly",
    "SameSite=Strict",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The path back to the server's root from this request's path, so links work under a proxy's prefix. */
export function relativeRoot(req: Request): string {
  const depth = req.path.split("/").length - 2;
  return depth > 0 ? "../".repeat(depth) : "./";
}
