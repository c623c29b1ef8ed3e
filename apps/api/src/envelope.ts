import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { type ErrorCode, HomeUsageError, isOutOfTime, renderErrorChart, renderPng } from "@home-usage/core";
import type { NextFunction, Request, Response } from "express";
import { LRUCache } from "lru-cache";
import { MongoNetworkError, MongoServerSelectionError, MongoTopologyClosedError } from "mongodb";
import { BusyError } from "./limiter.js";
import { renderErrorPage } from "./page.js";

/** An HTTP failure that is neither the user's argument (E_USAGE) nor the database's: 414, 415, ... */
export class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, type: string, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.type = type;
  }
}

/**
 * Every JSON answer, success or error, comes in this envelope; the original page reads `res["data"]`.
 */
export interface Envelope {
  _id: string;
  timestamp: string;
  code: number;
  message: string;
  data?: unknown;
  /** A paged answer's next page, absent on the last. */
  next?: string;
  error?: { type: string; detail: string };
}

/** The request's id, for the envelope and the request log. */
export function requestId(res: Response): string {
  res.locals.requestId ??= randomUUID();
  return res.locals.requestId as string;
}

export function sendData(res: Response, data: unknown, message = "OK", extra: { next?: string } = {}) {
  const body: Envelope = {
    _id: requestId(res),
    timestamp: new Date().toISOString(),
    code: 200,
    message,
    data,
    ...extra,
  };
  res.status(200).json(body);
}

// Refusals come in bursts (every request past the report queue at once), each as the same picture, and
// encoding a PNG takes the event loop (some 60 ms at 2000 x 1200; twenty refusals stalled /healthz for
// seconds): each distinct error picture is rasterised once.
const errorPngs = new LRUCache<string, Promise<Buffer>>({ max: 32 });
export function errorPng(svg: string): Promise<Buffer> {
  let png = errorPngs.get(svg);
  if (!png) {
    png = renderPng(svg);
    errorPngs.set(svg, png);
    png.catch(() => errorPngs.delete(svg));
  }
  return png;
}

export function sendError(res: Response, code: number, type: string, detail: string) {
  // Short, so that a wiki's image proxy that cached a failure tries again soon; kept from shared caches
  // when the route needs a token, and never kept at all when it is about who may read.
  const current = String(res.get("Cache-Control") ?? "");
  res.set(
    "Cache-Control",
    code === 401 || code === 429 || current.includes("no-store")
      ? "no-store"
      : `${current.includes("private") ? "private, " : ""}max-age=10`,
  );
  const json = () =>
    res
      .status(code)
      .type("application/json")
      .send(JSON.stringify(errorEnvelope(requestId(res), code, type, detail)));
  const as = errorMedia(res.req);
  if (as === "json") return json();
  const retry = Number(res.get("Retry-After")) || undefined;
  if (as === "html") {
    res
      .status(code)
      .type("text/html; charset=utf-8")
      .send(renderErrorPage(code, detail, retry));
    return;
  }
  // A chart's URL answers with a picture of the error, so an embedding wiki shows why, not a broken image.
  const query = res.req.query;
  const svg = renderErrorChart({
    message: detail,
    retryAfterSeconds: retry,
    width: dimension(query.width, 640),
    height: dimension(query.height, 400),
    theme: query.theme === "dark" ? "dark" : "light",
  });
  if (as === "svg") {
    res.status(code).type("image/svg+xml; charset=utf-8").send(svg);
    return;
  }
  errorPng(svg).then(
    (png) => res.status(code).type("image/png").send(png),
    () => json(),
  );
}

/** Chart routes: `plot`, `plot.svg`, `plot.png`, and the signed embeds, of usage and retention. */
const CHART_PATH = /\/(plot|embed\/[^/]+)(\.(svg|png))?$/;

/**
 * How an error is best shown to whoever asked: a chart's URL as an image (a wiki embeds it), a browser
 * as a page, everyone else (scripts, `curl`, `content_type=json`, a chart's client that asks for
 * `application/json`) as the JSON envelope.
 */
function errorMedia(req: Request): "json" | "html" | "svg" | "png" {
  const chart = CHART_PATH.exec(req.path);
  if (chart) {
    const image = chart[3] === "png" ? "image/png" : "image/svg+xml";
    // An image unless the client asks for JSON rather than an image (an <img> accepts image/* and */*).
    if (req.accepts([image, "application/json"]) === "application/json") return "json";
    return chart[3] === "png" ? "png" : "svg";
  }
  if (req.query.content_type !== undefined && req.query.content_type !== "html") return "json";
  return req.accepts(["application/json", "text/html"]) === "text/html" ? "html" : "json";
}

/** A width or height from the query, when it is a sensible one; otherwise the default. */
function dimension(value: unknown, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 100 && n <= 4000 ? n : fallback;
}

function errorEnvelope(id: string, code: number, type: string, detail: string): Envelope {
  return { _id: id, timestamp: new Date().toISOString(), code, message: detail, error: { type, detail } };
}

/**
 * Requests Node refuses before Express sees them (headers or a URL beyond Node's header limit) get the
 * envelope too, where the socket still takes an answer.
 */
export function answerClientErrors(server: Server): Server {
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const [code, type, detail] =
      error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "too_large", "the request's URL or headers are larger than the server accepts (16 kB)"]
        : [400, "bad_request", "the request is not valid HTTP"];
    const body = JSON.stringify(errorEnvelope(randomUUID(), code, type, detail));
    socket.end(
      `HTTP/1.1 ${code} ${code === 431 ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

const STATUS: Partial<Record<ErrorCode, [number, string]>> = {
  E_USAGE: [400, "bad_request"],
  E_UNAUTHORIZED: [401, "unauthorized"],
  E_FORBIDDEN: [403, "forbidden"],
  E_CONFLICT: [409, "conflict"],
  E_STATE: [409, "conflict"],
  E_DATABASE: [503, "unavailable"],
};

/** When to ask again after the database did not answer. */
const DATABASE_RETRY_SECONDS = 30;

/** The one place errors become HTTP statuses. Never a stack trace to the client. */
export function errorHandler(log: (message: string) => void) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    // The client hung up and its work was cancelled: nobody is left to answer.
    if (res.destroyed || req.socket.destroyed) return;
    if (res.headersSent) {
      log(`request ${requestId(res)} failed after its headers were sent: ${String(error)}`);
      res.end();
      return;
    }
    if (error instanceof HttpError) {
      sendError(res, error.status, error.type, error.message);
      return;
    }
    if (error instanceof BusyError) {
      res.set("Retry-After", String(error.retryAfterSeconds));
      sendError(res, 503, "busy", error.message);
      return;
    }
    if (isOutOfTime(error)) {
      log(`request ${requestId(res)}: the query ran out of time: ${error.message.split("\n")[0]}`);
      res.set("Retry-After", "60");
      sendError(
        res,
        503,
        "timeout",
        "the report took longer than the server allows; ask for a shorter range or a longer aggregate",
      );
      return;
    }
    if (error instanceof HomeUsageError && STATUS[error.code]) {
      const [code, type] = STATUS[error.code] as [number, string];
      if (code === 401) res.set("WWW-Authenticate", 'Bearer realm="home-usage"');
      if (code === 503) res.set("Retry-After", String(DATABASE_RETRY_SECONDS));
      sendError(res, code, type, error.message);
      return;
    }
    if (
      error instanceof MongoNetworkError ||
      error instanceof MongoServerSelectionError ||
      error instanceof MongoTopologyClosedError
    ) {
      log(`request ${requestId(res)}: the database did not answer: ${error.message.split("\n")[0]}`);
      res.set("Retry-After", String(DATABASE_RETRY_SECONDS));
      sendError(res, 503, "unavailable", "the database did not answer; try again shortly");
      return;
    }
    const parserError = error as { type?: string; status?: number; limit?: number };
    if (parserError.type === "entity.too.large") {
      sendError(res, 413, "too_large", `the request body is larger than ${parserError.limit} bytes`);
      return;
    }
    if (parserError.type === "entity.parse.failed") {
      sendError(res, 400, "bad_request", "the request body is not valid JSON");
      return;
    }
    if (parserError.type === "encoding.unsupported" || parserError.type === "charset.unsupported") {
      sendError(
        res,
        415,
        "unsupported_media_type",
        `the request body's encoding is not supported: ${(error as Error).message}`,
      );
      return;
    }
    if (parserError.status && parserError.status >= 400 && parserError.status < 500) {
      sendError(
        res,
        parserError.status,
        "bad_request",
        `the request body could not be read: ${(error as Error).message}`,
      );
      return;
    }
    log(`request ${requestId(res)} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    sendError(res, 500, "internal", `internal error; quote request id ${requestId(res)} to the operator`);
  };
}
