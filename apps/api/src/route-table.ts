import { type NextFunction, type Request, type RequestHandler, type Response, Router } from "express";
import { sendError } from "./envelope.js";

/**
 * The routes of one table: each answers GET and POST (arguments may come in a form or a JSON body), runs
 * its guard first, hands a failure to the error handler, and answers any other method with 405.
 */
export function routeTable(router: Router = Router()) {
  const route = (path: string, guard: RequestHandler, handler: (req: Request, res: Response) => Promise<void>) => {
    const run = (req: Request, res: Response, next: NextFunction) => handler(req, res).catch(next);
    router
      .route(path)
      .get(guard, run)
      .post(guard, run)
      .all((req, res) => {
        res.set("Allow", "GET, POST");
        sendError(res, 405, "method_not_allowed", `${req.method} is not allowed on ${path}; use GET or POST`);
      });
  };
  return { router, route };
}

/**
 * Sends a chart. Charts change when the job writes (a few times an hour at most): caches may keep them
 * five minutes and serve a stale one for an hour while they revalidate, which the strong ETag makes cheap.
 * `scope` is `private` where reading needs a token.
 */
export function sendImage(
  req: Request,
  res: Response,
  image: { type: string; body: string | Buffer; etag: string; scope: "private" | "public" },
) {
  res.set("ETag", image.etag);
  res.set("Cache-Control", `${image.scope}, max-age=300, stale-while-revalidate=3600`);
  res.type(image.type);
  // Compared here rather than with req.fresh, which ignores If-None-Match when the request says
  // Cache-Control: no-cache; the origin answers a revalidation whatever caches were told.
  if (matchesEtag(req.get("if-none-match"), image.etag)) {
    res.status(304).end();
    return;
  }
  res.send(image.body);
}

/** A signal that aborts when the client goes away before its answer was sent. */
export function abortOnClose(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(new Error("the client closed the connection"));
  });
  return controller.signal;
}

/** Whether an If-None-Match header names this entity tag (weak comparison, as for GET). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}
