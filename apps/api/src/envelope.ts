import { randomUUID } from "node:crypto";
import { type ErrorCode, HomeUsageError } from "@home-usage/core";
import type { NextFunction, Request, Response } from "express";
import { MongoNetworkError, MongoServerSelectionError, MongoTopologyClosedError } from "mongodb";

/**
 * Every JSON answer, success or error, comes in this envelope; the original page reads `res["data"]`.
 */
export interface Envelope {
  _id: string;
  timestamp: string;
  code: number;
  message: string;
  data?: unknown;
  error?: { type: string; detail: string };
}

/** The request's id, for the envelope and the request log. */
export function requestId(res: Response): string {
  res.locals.requestId ??= randomUUID();
  return res.locals.requestId as string;
}

export function sendData(res: Response, data: unknown, message = "OK") {
  const body: Envelope = { _id: requestId(res), timestamp: new Date().toISOString(), code: 200, message, data };
  res.status(200).json(body);
}

export function sendError(res: Response, code: number, type: string, detail: string) {
  const body: Envelope = {
    _id: requestId(res),
    timestamp: new Date().toISOString(),
    code,
    message: detail,
    error: { type, detail },
  };
  res.status(code).type("application/json").send(JSON.stringify(body));
}

const STATUS: Partial<Record<ErrorCode, [number, string]>> = {
  E_USAGE: [400, "bad_request"],
  E_UNAUTHORIZED: [401, "unauthorized"],
  E_FORBIDDEN: [403, "forbidden"],
  E_CONFLICT: [409, "conflict"],
  E_STATE: [409, "conflict"],
  E_DATABASE: [503, "unavailable"],
};

/** The one place errors become HTTP statuses. Never a stack trace to the client. */
export function errorHandler(log: (message: string) => void) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof HomeUsageError && STATUS[error.code]) {
      const [code, type] = STATUS[error.code] as [number, string];
      if (code === 401) res.set("WWW-Authenticate", 'Bearer realm="home-usage"');
      sendError(res, code, type, error.message);
      return;
    }
    if (
      error instanceof MongoNetworkError ||
      error instanceof MongoServerSelectionError ||
      error instanceof MongoTopologyClosedError
    ) {
      log(`request ${requestId(res)}: the database did not answer: ${error.message.split("\n")[0]}`);
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
    if (parserError.status && parserError.status >= 400 && parserError.status < 500) {
      sendError(res, parserError.status, "bad_request", "the request could not be read");
      return;
    }
    log(`request ${requestId(res)} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    sendError(res, 500, "internal", `internal error; quote request id ${requestId(res)} to the operator`);
  };
}
