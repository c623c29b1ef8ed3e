import { type HomeUsageConfig, HomeUsageError } from "@home-usage/core";
import { Router } from "express";
import type { Auth } from "./auth.js";
import { renderSignIn } from "./page.js";
import { isHttps } from "./public-url.js";

/** `GET/POST /signin` and `POST /signout`: browser sessions for servers with API tokens. */
export function signInRoutes({ config, auth }: { config: HomeUsageConfig; auth: Auth }): Router {
  const router = Router();

  router.get("/signin", (req, res) => {
    const next = nextPage(req.query.next);
    if (!auth.required || auth.hasSession(req)) return res.redirect(303, `.${next}`);
    res.set("Cache-Control", "no-store");
    const notice = req.query.expired === "1" ? "Your session has expired; sign in again." : undefined;
    res.type("text/html; charset=utf-8").send(renderSignIn({ next, notice }));
  });

  router.post("/signin", (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = nextPage(body.next);
    if (!auth.required) return res.redirect(303, `.${next}`);
    const token = typeof body.token === "string" ? body.token : "";
    const cookie = token ? auth.signIn(token, isHttps(req, config)) : undefined;
    res.set("Cache-Control", "no-store");
    if (!cookie) {
      const error = token ? "the API token is not valid" : "enter one of the server's API tokens";
      res.status(401).type("text/html; charset=utf-8").send(renderSignIn({ next, error }));
      return;
    }
    res.set("Set-Cookie", cookie);
    res.redirect(303, `.${next}`);
  });

  router.post("/signout", (req, res) => {
    res.set("Set-Cookie", auth.signOutCookie(isHttps(req, config)));
    res.set("Cache-Control", "no-store");
    res.redirect(303, "./signin");
  });

  router.all(["/signin", "/signout"], (req, _res, next) => {
    next(new HomeUsageError("E_USAGE", `${req.method} is not allowed on ${req.path}`));
  });
  return router;
}

/** Where to go after signing in: a path on this server, never another site. */
function nextPage(value: unknown): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
  return typeof value === "string" && /^\/(?![/\\])/.test(value) && !/[\u0000-\u001f\u007f]/.test(value)
    ? value
    : "/usage/login";
}
