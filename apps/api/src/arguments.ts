import {
  CHART_SIZE,
  CHART_THEMES,
  HomeUsageError,
  MAX_TITLE_LENGTH,
  parseMetric,
  REPORT_FORMATS,
  type ReportFormat,
} from "@home-usage/core";
import type { Request } from "express";

/** The arguments of a request: query string, then form body, then JSON body (the last wins). */
export function requestArguments(req: Request, allowed: readonly string[]): Record<string, unknown> {
  const body = req.body && typeof req.body === "object" && !Array.isArray(req.body) ? req.body : {};
  if (req.body !== undefined && (req.body === null || typeof req.body !== "object" || Array.isArray(req.body))) {
    const got = req.body === null ? "null" : Array.isArray(req.body) ? "a list" : `a ${typeof req.body}`;
    throw new HomeUsageError("E_USAGE", `the request body must be a JSON object or a form, not ${got}`);
  }
  const args: Record<string, unknown> = { ...(req.query as Record<string, unknown>), ...body };
  for (const key of Object.keys(args)) {
    if (!allowed.includes(key)) {
      throw new HomeUsageError("E_USAGE", `unknown argument "${key}" (this route takes ${allowed.join(", ")})`);
    }
  }
  return args;
}

/** Reads an optional whole number within bounds. */
export function boundedInteger(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n =
    typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new HomeUsageError("E_USAGE", `${name}: must be a whole number from ${min} to ${max}`);
  }
  return n;
}

export function optionalText(value: unknown, name: string, maxLength: number): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string") throw new HomeUsageError("E_USAGE", `${name}: must be a string`);
  if (value.length > maxLength) throw new HomeUsageError("E_USAGE", `${name}: must be at most ${maxLength} characters`);
  return value;
}

/** One of a few words, looked up in a list (never as an object key). */
export function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[], fallback: T): T {
  const text = optionalText(value, name, 40);
  if (text === undefined) return fallback;
  const found = allowed.find((a) => a === text.trim().toLowerCase());
  if (!found) throw new HomeUsageError("E_USAGE", `${name}: unknown "${text}" (use ${allowed.join(", ")})`);
  return found;
}

/** How a chart looks, from a request's arguments. */
export function chartLook(args: Record<string, unknown>) {
  return {
    title: optionalText(args.title, "title", MAX_TITLE_LENGTH),
    width: boundedInteger(args.width, "width", CHART_SIZE.width.min, CHART_SIZE.width.max),
    height: boundedInteger(args.height, "height", CHART_SIZE.height.min, CHART_SIZE.height.max),
    metric: parseMetric(optionalText(args.metric, "metric", 40)),
    theme: oneOf(args.theme, "theme", CHART_THEMES, "light"),
    background: oneOf(args.background, "background", ["solid", "transparent"] as const, "solid"),
  };
}

/** `scale=1|2` of a PNG. */
export function pngScale(value: unknown): 1 | 2 {
  return oneOf(value, "scale", ["1", "2"] as const, "1") === "2" ? 2 : 1;
}

const MEDIA: Record<string, ReportFormat> = {
  "application/json": "json",
  "text/csv": "csv",
  "text/html": "html",
  "text/plain": "text",
  "text/markdown": "markdown",
};

/** The format of `/raw`: `content_type` if given, else the Accept header, else JSON. */
export function reportFormat(req: Request, value: unknown): ReportFormat {
  if (value !== undefined && value !== "") {
    if (typeof value !== "string" || !(REPORT_FORMATS as readonly string[]).includes(value.toLowerCase())) {
      throw new HomeUsageError("E_USAGE", `content_type: must be one of ${REPORT_FORMATS.join(", ")}`);
    }
    return value.toLowerCase() as ReportFormat;
  }
  const accepted = req.accepts(Object.keys(MEDIA));
  return accepted ? (MEDIA[accepted] as ReportFormat) : "json";
}

export const MEDIA_TYPE: Record<ReportFormat, string> = {
  json: "application/json",
  csv: "text/csv",
  html: "text/html",
  text: "text/plain",
  markdown: "text/markdown",
};
