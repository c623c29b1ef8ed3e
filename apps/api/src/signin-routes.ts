import { type Core4SignIn, type HomeUsageConfig, HomeUsageError, type Logger } from "@home-usage/core";
import { type Response, Router } from "express";
import { type Auth, describeReader } from "./auth.js";
import { renderSignIn, type SignInForm } from "./page.js";
import { isHttps } from "./public-url.js";
import { sameOriginOnly } from "./same-origin.js";
import type { SessionUser } from "./session-store.js";
import { SIGN_IN_FAILURES, SIGN_IN_WINDOW_MS, type SignInThrottle } from "./sign-in-throttle.js";

/** What a person is told for every failed account sign-in, whatever the reason. */
export const ACCOUNT_REFUSED = "name or password not valid";

export interface SignInRoutesOptions {
  config: HomeUsageConfig;
  auth: Auth;
  core4?: Core4SignIn;
  throttle: SignInThrottle;
  logger: Logger;
}

/** `GET/POST /signin` and `POST /signout`: browser sessions, with an API token or a core4 account. */
export function signInRoutes({ config, auth, core4, throttle, logger }: SignInRoutesOptions): Router {
  const router = Router();
  const form = (next: string, extra: Partial<SignInForm> = {}): SignInForm => ({
    next,
    account: auth.core4,
    token: auth.tokens,
    ...extra,
  });
  const page = (res: Response, status: number, model: SignInForm) => {
    res.set("Cache-Control", "no-store");
    res.status(status).type("text/html; charset=utf-8").send(renderSignIn(model));
  };
  const sameOrigin = sameOriginOnly(config);

  router.get("/signin", async (req, res, next) => {
    try {
      const target = nextPage(req.query.next);
      if (!auth.required || (await auth.hasSession(req))) return res.redirect(303, `.${target}`);
      const notice =
        req.query.expired === "1"
          ? "Your session has expired; sign in again."
          : req.query.ended === "1"
            ? "Your session has ended; sign in again."
            : undefined;
      page(res, 200, form(target, { notice }));
    } catch (error) {
      next(error);
    }
  });

  router.post("/signin", sameOrigin, async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const target = nextPage(body.next);
      if (!auth.required) return res.redirect(303, `.${target}`);
      const text = (key: string) => (typeof body[key] === "string" ? (body[key] as string) : "");
      const [username, password, token] = [text("username").trim(), text("password"), text("token")];
      const byAccount = username !== "" || password !== "";
      const from = req.ip ?? "unknown address";
      // Names are repeated in the log only once they are known accounts (a name may be a mistyped password).
      const who = byAccount ? "a name and password" : "an API token";
      if (!byAccount && token === "") {
        return page(res, 401, form(target, { error: enterWhat(auth), field: auth.core4 ? "username" : "token" }));
      }

      const keys = [`address:${from}`, ...(byAccount ? [`name:${username.toLowerCase()}`] : [])];
      const wait = throttle.retryAfter(keys);
      if (wait > 0) {
        logger.warn(
          `sign-in: ${who} from ${from}: refused, ${SIGN_IN_FAILURES} failed sign-ins within ${SIGN_IN_WINDOW_MS / 60_000} minutes; retry after ${wait} s`,
        );
        res.set("Retry-After", String(wait));
        const minutes = Math.ceil(wait / 60);
        const error = `too many failed sign-ins; try again in ${minutes} minute${minutes === 1 ? "" : "s"}`;
        return page(res, 429, form(target, { error, username, field: byAccount ? "username" : "token" }));
      }

      const user = byAccount ? await accountUser(core4, logger, username, password, from) : tokenUser(token, from);
      if (!user) {
        throttle.fail(keys);
        const error = byAccount ? ACCOUNT_REFUSED : "the API token is not valid";
        return page(res, 401, form(target, { error, username, field: byAccount ? "password" : "token" }));
      }
      if (byAccount) throttle.succeed(`name:${username.toLowerCase()}`);
      res.set("Set-Cookie", auth.startSession(user, isHttps(req, config)));
      res.set("Cache-Control", "no-store");
      res.redirect(303, `.${target}`);
    } catch (error) {
      next(error);
    }
  });

  const tokenUser = (token: string, from: string): SessionUser | undefined => {
    const user = auth.tokenUser(token);
    if (user) logger.info(`sign-in: ${describeReader(user)} from ${from}: signed in (API token)`);
    else logger.warn(`sign-in: an API token from ${from}: refused (not one of HOME_USAGE_API_TOKENS)`);
    return user;
  };

  router.post("/signout", sameOrigin, (req, res) => {
    const ended = auth.endSession(req);
    if (ended) logger.info(`sign-out: ${JSON.stringify(describeReader(ended.user))} from ${req.ip}`);
    res.set("Set-Cookie", auth.signOutCookie(isHttps(req, config)));
    res.set("Cache-Control", "no-store");
    res.redirect(303, "./signin");
  });

  router.all(["/signin", "/signout"], (req, _res, next) => {
    next(new HomeUsageError("E_USAGE", `${req.method} is not allowed on ${req.path}`));
  });
  return router;
}

/** The account a name and password sign in, or undefined; logs the attempt either way. */
async function accountUser(
  core4: Core4SignIn | undefined,
  logger: Logger,
  username: string,
  password: string,
  from: string,
): Promise<SessionUser | undefined> {
  if (!core4 || username === "" || password === "") {
    // Still a guess: it costs what a wrong password costs, and counts as one.
    if (core4) await core4.signIn(username, password);
    logger.warn(
      `sign-in: a name and password from ${from}: refused (${core4 ? "name or password missing" : "core4 sign-in is off"})`,
    );
    return undefined;
  }
  const outcome = await core4.signIn(username, password);
  if (outcome.ok) {
    logger.info(`sign-in: ${JSON.stringify(outcome.name)} from ${from}: signed in (core4 account, ${outcome.method})`);
    return { kind: "core4", name: outcome.name };
  }
  if (outcome.reason === "unsupported hash") {
    logger.error(
      `sign-in: ${JSON.stringify(outcome.name)} from ${from}: refused: the account's password in sys.role is of a format home-usage cannot verify: ${outcome.format}`,
    );
  } else {
    // An unknown name is not repeated: it may be a password typed into the wrong field.
    const named = outcome.reason === "unknown name" ? "an unknown name" : JSON.stringify(username);
    logger.warn(`sign-in: ${named} from ${from}: refused (${outcome.reason})`);
  }
  return undefined;
}

function enterWhat(auth: Auth): string {
  if (auth.core4 && auth.tokens) return "enter your core4 name and password, or one of the server's API tokens";
  return auth.core4 ? ACCOUNT_REFUSED : "enter one of the server's API tokens";
}

/** Where to go after signing in: a path on this server, never another site. */
function nextPage(value: unknown): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
  return typeof value === "string" && /^\/(?![/\\])/.test(value) && !/[\u0000-\u001f\u007f]/.test(value)
    ? value
    : "/usage/login";
}
