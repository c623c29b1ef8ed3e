import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { type Core4SignIn, HomeUsageError, looksLikeJwt, verifyCore4Token } from "@home-usage/core";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { HttpError } from "./envelope.js";
import { createSessionStore, type Session, type SessionUser } from "./session-store.js";
import { SIGN_IN_FAILURES, SIGN_IN_WINDOW_MS, type SignInThrottle } from "./sign-in-throttle.js";

/** The browser session's cookie. */
export const SESSION_COOKIE = "home_usage_session";
/** How long a browser session lasts. */
export const SESSION_SECONDS = 12 * 3600;

export interface AuthOptions {
  /** The API tokens (HOME_USAGE_API_TOKENS). */
  tokens: readonly string[];
  /** The key that signs session ids in cookies. @default a random key of this process */
  sessionSecret?: string;
  /** core4's accounts, when HOME_USAGE_CORE4_PERMISSION is set. */
  core4?: Core4SignIn;
  /** core4's `api.token.secret` (HOME_USAGE_CORE4_TOKEN_SECRET), to accept core4's JWTs. */
  core4TokenSecret?: string;
  /** Counts wrong bearer tokens per address, as failed sign-ins are counted. */
  throttle?: SignInThrottle;
  clock: () => Date;
}

/** Who made a request: shown on the page, and named in the log. */
export type Reader = SessionUser & { via: "bearer" | "session" };

/** Why a request is not let in. */
type Verdict =
  | { ok: true; reader: Reader }
  | { ok: false; status: 401 | 403; message: string; session?: "expired" | "ended" };

/**
 * Who may read: API clients with `Authorization: Bearer <token>` (one of HOME_USAGE_API_TOKENS, or a
 * core4 JWT), and browsers with a session got by signing in with a token or a core4 account. A core4
 * account's session or token is re-checked against `sys.role` (at most a minute old): a disabled account
 * or a withdrawn permission ends it.
 */
export function createAuth(options: AuthOptions): Auth {
  const tokens = options.tokens.map((t) => Buffer.from(t));
  const required = tokens.length > 0 || options.core4 !== undefined;
  const key = options.sessionSecret ? Buffer.from(options.sessionSecret) : randomBytes(32);
  const sessions = createSessionStore({ key, clock: options.clock, lifetimeMs: SESSION_SECONDS * 1000 });

  /** The configured token equal to `given`, compared in constant time. */
  const matchToken = (given: string): string | undefined => {
    const candidate = Buffer.from(given);
    const found = tokens.find((t) => t.length === candidate.length && timingSafeEqual(t, candidate));
    return found?.toString();
  };

  const judges: Judges = { options, sessions, matchToken };
  const session = (req: Request) => sessionVerdict(judges, req);
  /** A bearer header decides alone; without one, the browser's session. */
  const judge = (req: Request) =>
    req.get("authorization") ? bearerVerdict(judges, req.get("authorization") as string) : session(req);

  const guard =
    (onMissing: (req: Request, res: Response, next: NextFunction, verdict?: Verdict) => void): RequestHandler =>
    (req, res, next) => {
      if (!required) return next();
      if (throttled(options.throttle, req, res, next)) return;
      judge(req)
        .then((verdict) => {
          if (verdict?.ok) return admitted(res, verdict.reader, next);
          if (verdict?.status === 401 && req.get("authorization"))
            options.throttle?.fail([`address:${req.ip ?? "unknown address"}`]);
          onMissing(req, res, next, verdict);
        })
        .catch(next);
    };

  return {
    required,
    core4: options.core4 !== undefined,
    tokens: tokens.length > 0,
    /** Data routes: a bearer token, or a browser's session (same-site only, by SameSite=Strict). */
    data: guard(refuseData),
    /** Pages: as `data`, but a browser without a session is sent to the sign-in form. */
    page: guard(refusePage),
    /** Checks a token typed into the sign-in form: who it makes the reader, or undefined. */
    tokenUser(token: string): SessionUser | undefined {
      const found = matchToken(token.trim());
      return found ? { kind: "token", fingerprint: fingerprint(found) } : undefined;
    },
    /** Starts a browser session; the Set-Cookie header. */
    startSession(user: SessionUser, secure: boolean): string {
      return cookieHeader(sessions.create(user).value, SESSION_SECONDS, secure);
    },
    /** Whether a browser's session is valid (for the sign-in page to move on). */
    hasSession: async (req: Request) => (await session(req))?.ok === true,
    /** Ends the browser's session on the server; what it was, for the log. */
    endSession(req: Request): Session | undefined {
      const value = readCookie(req.get("cookie"), SESSION_COOKIE);
      return value ? sessions.end(value) : undefined;
    },
    /** The header that removes the session's cookie. */
    signOutCookie: (secure: boolean) => cookieHeader("", 0, secure),
  };
}

/** What deciding on a request needs: the options, the sessions, the configured tokens. */
interface Judges {
  options: AuthOptions;
  sessions: ReturnType<typeof createSessionStore>;
  matchToken: (given: string) => string | undefined;
}

/** An `Authorization: Bearer` header's verdict: one of the API tokens, or a core4 JWT of an account in standing. */
async function bearerVerdict({ options, matchToken }: Judges, header: string): Promise<Verdict> {
  const credential = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (credential && matchToken(credential)) {
    return { ok: true, reader: { kind: "token", fingerprint: fingerprint(credential), via: "bearer" } };
  }
  if (credential && options.core4 && options.core4TokenSecret && looksLikeJwt(credential)) {
    try {
      const token = verifyCore4Token(credential, { secret: options.core4TokenSecret, now: options.clock() });
      return standing(options.core4, token.name, "bearer");
    } catch (error) {
      if (error instanceof HomeUsageError) return { ok: false, status: 401, message: error.message };
      throw error;
    }
  }
  return { ok: false, status: 401, message: "the API token is not valid" };
}

/** The browser session's verdict, or undefined without a session cookie; an account's session that lost its standing ends. */
async function sessionVerdict({ options, sessions }: Judges, req: Request): Promise<Verdict | undefined> {
  const value = readCookie(req.get("cookie"), SESSION_COOKIE);
  if (!value) return undefined;
  const found = sessions.find(value);
  if (found.state !== "valid") {
    return found.state === "expired"
      ? { ok: false, status: 401, message: "the session has expired", session: "expired" }
      : {
          ok: false,
          status: 401,
          message: "the session is not valid (signed out, or the server restarted)",
          session: "ended",
        };
  }
  const { user } = found.session;
  if (user.kind === "token") return { ok: true, reader: { ...user, via: "session" } };
  if (!options.core4) return { ok: false, status: 401, message: "core4 sign-in is off", session: "ended" };
  const verdict = await standing(options.core4, user.name, "session");
  if (verdict.ok) return verdict;
  sessions.end(value);
  return { ...verdict, status: 401, message: `the session has ended: ${verdict.message}`, session: "ended" };
}

function admitted(res: Response, reader: Reader, next: NextFunction) {
  res.locals.reader = reader;
  // What needs a token is never kept by a shared cache; routes that may be cached privately say so.
  res.set("Cache-Control", "private, no-cache");
  next();
}

/**
 * Wrong bearer tokens count as failed sign-ins of their address: after `SIGN_IN_FAILURES` of them in
 * `SIGN_IN_WINDOW_MS`, the address's bearer requests are refused (429) until the oldest leaves the window.
 */
function throttled(throttle: SignInThrottle | undefined, req: Request, res: Response, next: NextFunction): boolean {
  if (!throttle || !req.get("authorization")) return false;
  const wait = throttle.retryAfter([`address:${req.ip ?? "unknown address"}`]);
  if (wait === 0) return false;
  res.set("Retry-After", String(wait));
  res.set("Cache-Control", "no-store");
  const minutes = Math.ceil(wait / 60);
  next(
    new HttpError(
      429,
      "too_many_failures",
      `${SIGN_IN_FAILURES} wrong tokens from this address within ${SIGN_IN_WINDOW_MS / 60_000} minutes; try again in ${minutes} minute${minutes === 1 ? "" : "s"}`,
    ),
  );
  return true;
}

/** A data route's refusal: 403 for an account without the permission, else 401. */
function refuseData(_req: Request, res: Response, next: NextFunction, verdict?: Verdict) {
  res.set("Cache-Control", "no-store");
  if (verdict && !verdict.ok && verdict.status === 403) return next(new HomeUsageError("E_FORBIDDEN", verdict.message));
  const message = verdict && !verdict.ok ? verdict.message : "this API needs Authorization: Bearer <token>";
  next(new HomeUsageError("E_UNAUTHORIZED", message));
}

/** A page's refusal: an API client's error, or a browser sent to the sign-in form, saying why. */
function refusePage(req: Request, res: Response, next: NextFunction, verdict?: Verdict) {
  res.set("Cache-Control", "no-store");
  if (req.get("authorization") && verdict && !verdict.ok) {
    return next(new HomeUsageError(verdict.status === 403 ? "E_FORBIDDEN" : "E_UNAUTHORIZED", verdict.message));
  }
  const query = new URLSearchParams({ next: req.originalUrl });
  if (verdict && !verdict.ok && verdict.session) query.set(verdict.session, "1");
  res.redirect(303, `${relativeRoot(req)}signin?${query}`);
}

export interface Auth {
  /** Whether reading needs a token or a sign-in at all. */
  required: boolean;
  /** Whether core4 accounts may sign in. */
  core4: boolean;
  /** Whether API tokens may sign in. */
  tokens: boolean;
  data: RequestHandler;
  page: RequestHandler;
  tokenUser(token: string): SessionUser | undefined;
  startSession(user: SessionUser, secure: boolean): string;
  hasSession(req: Request): Promise<boolean>;
  endSession(req: Request): Session | undefined;
  signOutCookie(secure: boolean): string;
}

/** A core4 account's standing, as a verdict for a request that named it. */
async function standing(core4: Core4SignIn, name: string, via: Reader["via"]): Promise<Verdict> {
  const access = await core4.access(name);
  if (access === "granted") return { ok: true, reader: { kind: "core4", name, via } };
  if (access === "unknown") return { ok: false, status: 401, message: `core4 has no account ${JSON.stringify(name)}` };
  return {
    ok: false,
    status: 403,
    message:
      access === "disabled"
        ? `the core4 account ${JSON.stringify(name)} is disabled`
        : `the core4 account ${JSON.stringify(name)} may not read here: it lacks the permission this server asks for`,
  };
}

/** A token's public name: enough to tell tokens apart, nothing to rebuild one from. */
export const fingerprint = (token: string) => createHash("sha256").update(token).digest("base64url").slice(0, 16);

/** Who a reader is, as the page and the log say it. */
export function describeReader(user: SessionUser): string {
  return user.kind === "core4" ? user.name : `API token ${user.fingerprint.slice(0, 8)}`;
}

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
