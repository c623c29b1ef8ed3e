import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { IANAZone } from "luxon";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { HomeUsageError } from "./errors.js";
import { LOGIN_PRESETS, type LoginPreset, type LoginSignal, loginSignalSchema } from "./login-signal.js";

/** A MongoDB collection named as `database.collection` (the database is the part before the first dot). */
export interface Namespace {
  db: string;
  collection: string;
}

export interface HomeUsageConfig {
  /** @default "mongodb://127.0.0.1:27017" */
  mongodbUri: string;
  /** The core4 log. @default core4.sys.log */
  source: Namespace;
  /** The daily rollup. @default home.login */
  target: Namespace;
  /** Job cookies and the lock. @default home.sys.cookie */
  cookies: Namespace;
  /** Period summaries and the rollup's settings. @default the target with `_period` appended */
  periods: Namespace;
  /** core4's accounts. @default core4.sys.role */
  roles: Namespace;
  /** The longest run, in days, unless its start is given explicitly with `--yes`. @default 7305 */
  maxRunDays: number;
  /** How often the job writes what it has read and moves its checkpoint. @default 5000 */
  checkpointMs: number;
  /** Whether the time zone was set (not the default): readers then insist the rollup has it. */
  timezoneGiven: boolean;
  /** IANA zone whose midnight starts a day. @default "UTC" */
  timezone: string;
  /** First day to process when there is no cookie; by default the day of the oldest login record. */
  start?: string;
  /** The login signal's preset name, or "custom" when the config file spells the signal out. */
  loginPreset: LoginPreset | "custom";
  login: LoginSignal;
  /** The cookie's _id, and the lock's name. @default "home-usage.aggregate" */
  jobName: string;
  /** Seconds a run's lock lasts without a heartbeat. @default 60 */
  lockLeaseSeconds: number;
  /** The current time, fixed: for tests and reproducible runs; the wall clock when absent. */
  now?: Date;
  /** Where the API listens. @default "127.0.0.1" */
  host: string;
  /** @default 5001 */
  port: number;
  /** Bearer tokens the API accepts; none means no authentication (and loopback only). */
  apiTokens: string[];
  /** The key that signs embed URLs; embed URLs are off without it. */
  embedSecret?: string;
  /** The API's public base URL (`https://usage.example.com/`) for absolute links and embed snippets. */
  publicUrl?: string;
  /** Believe X-Forwarded-Proto/Host from a reverse proxy. @default false */
  trustProxy: boolean;
  /** The key that signs browser sessions; derived from the API tokens when absent. */
  sessionSecret?: string;
  /** The time budget of each report query, in milliseconds. @default 30000 */
  queryTimeoutMs: number;
  /** Reports computed at once; more wait in the queue. @default 2 */
  reportConcurrency: number;
  /** Reports that may wait for a slot; beyond that the API answers 503. @default 16 */
  reportQueue: number;
}

/** Where a setting may come from, in rising precedence. */
export interface ConfigSources {
  /** A JSON or YAML file's path (`--config`). */
  file?: string;
  /** Environment variables; only the HOME_USAGE_* ones and MONGODB_URI are read. */
  env?: Record<string, string | undefined>;
  /** Command-line flags, already parsed, by config key. */
  flags?: Partial<Record<FlagKey, string>>;
}

/** The settings that may come from the environment or a flag, with their names there. */
const SETTINGS = {
  mongodbUri: { env: "MONGODB_URI", flag: "--mongodb-uri" },
  source: { env: "HOME_USAGE_SOURCE", flag: "--source" },
  target: { env: "HOME_USAGE_TARGET", flag: "--target" },
  cookies: { env: "HOME_USAGE_COOKIES", flag: "--cookies" },
  periods: { env: "HOME_USAGE_PERIODS", flag: "--periods" },
  roles: { env: "HOME_USAGE_ROLES", flag: "--roles" },
  maxRunDays: { env: "HOME_USAGE_MAX_RUN_DAYS", flag: "--max-run-days" },
  checkpointMs: { env: "HOME_USAGE_CHECKPOINT_MS", flag: "--checkpoint-ms" },
  timezone: { env: "HOME_USAGE_TIMEZONE", flag: "--timezone" },
  start: { env: "HOME_USAGE_START", flag: "--start" },
  loginPreset: { env: "HOME_USAGE_LOGIN_PRESET", flag: "--login-preset" },
  now: { env: "HOME_USAGE_NOW", flag: "--now" },
  host: { env: "HOST", flag: "--host" },
  port: { env: "PORT", flag: "--port" },
  apiTokens: { env: "HOME_USAGE_API_TOKENS", flag: "--api-tokens" },
  embedSecret: { env: "HOME_USAGE_EMBED_SECRET", flag: "--embed-secret" },
  publicUrl: { env: "HOME_USAGE_PUBLIC_URL", flag: "--public-url" },
  trustProxy: { env: "HOME_USAGE_TRUST_PROXY", flag: "--trust-proxy" },
  sessionSecret: { env: "HOME_USAGE_SESSION_SECRET", flag: "--session-secret" },
  queryTimeoutMs: { env: "HOME_USAGE_QUERY_TIMEOUT_MS", flag: "--query-timeout-ms" },
  reportConcurrency: { env: "HOME_USAGE_REPORT_CONCURRENCY", flag: "--report-concurrency" },
  reportQueue: { env: "HOME_USAGE_REPORT_QUEUE", flag: "--report-queue" },
} as const;

type FlagKey = keyof typeof SETTINGS;

const namespace = z
  .string()
  .regex(/^[^.\s/\\"$]+\.[^\s$]+$/, "must be database.collection, such as core4.sys.log")
  .transform((value): Namespace => {
    const dot = value.indexOf(".");
    return { db: value.slice(0, dot), collection: value.slice(dot + 1) };
  });

const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ message: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be a whole number from ${min} to ${max}`)
    .max(max, `must be a whole number from ${min} to ${max}`);

// An origin and an optional path prefix; kept without a trailing slash so paths append to it.
const publicUrl = z
  .string()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), {
    message: "must be an http:// or https:// URL",
    abort: true,
  })
  .refine((v) => !new URL(v).search && !new URL(v).hash, "must have no query or fragment")
  .transform((v) => {
    const url = new URL(v);
    return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  });

const instant = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), "must be an ISO 8601 date-time")
  .transform((v) => new Date(v));

const fileSchema = z
  .object({
    mongodbUri: z.string(),
    source: z.string(),
    target: z.string(),
    cookies: z.string(),
    periods: z.string(),
    roles: z.string(),
    maxRunDays: z.union([z.number(), z.string()]),
    checkpointMs: z.union([z.number(), z.string()]),
    timezone: z.string(),
    start: z.string(),
    loginPreset: z.string(),
    login: loginSignalSchema,
    jobName: z.string(),
    lockLeaseSeconds: z.number(),
    now: z.string(),
    host: z.string(),
    port: z.union([z.number(), z.string()]),
    apiTokens: z.union([z.array(z.string()), z.string()]),
    embedSecret: z.string(),
    publicUrl: z.string(),
    trustProxy: z.union([z.boolean(), z.string()]),
    sessionSecret: z.string(),
    queryTimeoutMs: z.union([z.number(), z.string()]),
    reportConcurrency: z.union([z.number(), z.string()]),
    reportQueue: z.union([z.number(), z.string()]),
  })
  .partial()
  .strict();

const configSchema = z
  .object({
    mongodbUri: z.string().regex(/^mongodb(\+srv)?:\/\//, "must be a mongodb:// or mongodb+srv:// URI"),
    source: namespace,
    target: namespace,
    cookies: namespace,
    periods: namespace,
    roles: namespace,
    maxRunDays: z.coerce
      .number({ message: "must be a number of days" })
      .int("must be a whole number of days")
      .min(1, "must be at least 1"),
    checkpointMs: z.coerce
      .number({ message: "must be a number of milliseconds" })
      .int("must be whole milliseconds")
      .min(0)
      .max(3_600_000),
    timezoneGiven: z.boolean(),
    timezone: z.string().refine((zone) => IANAZone.isValidZone(zone), "is not an IANA time zone"),
    start: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a day as YYYY-MM-DD")
      .optional(),
    loginPreset: z.enum(["seed", "core4", "custom"]),
    login: loginSignalSchema.optional(),
    jobName: z.string().min(1),
    lockLeaseSeconds: z.number().int().min(5).max(3600),
    now: instant.optional(),
    host: z.string().min(1),
    port: z.coerce
      .number({ message: "must be a TCP port number" })
      .int("must be a TCP port number")
      .min(0, "must be a TCP port number")
      .max(65535, "must be a TCP port number"),
    apiTokens: z
      .union([z.array(z.string()), z.string()])
      .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((t) => t.trim()).filter(Boolean))
      .refine((tokens) => tokens.every((t) => t.length >= 16), "each token must be at least 16 characters"),
    embedSecret: z.string().min(16, "must be at least 16 characters").optional(),
    publicUrl: publicUrl.optional(),
    trustProxy: z.union([z.boolean(), z.string()]).transform((v, ctx) => {
      if (typeof v === "boolean") return v;
      const word = v.trim().toLowerCase();
      if (["true", "1", "yes"].includes(word)) return true;
      if (["false", "0", "no"].includes(word)) return false;
      ctx.addIssue({ code: "custom", message: "must be true or false" });
      return z.NEVER;
    }),
    sessionSecret: z.string().min(16, "must be at least 16 characters").optional(),
    queryTimeoutMs: wholeNumber(100, 3_600_000),
    reportConcurrency: wholeNumber(1, 64),
    reportQueue: wholeNumber(0, 10_000),
  })
  .transform(
    ({ login, ...c }): HomeUsageConfig => ({
      ...c,
      // loadConfig makes sure a custom preset comes with its login section.
      login: c.loginPreset === "custom" ? (login as LoginSignal) : clone(LOGIN_PRESETS[c.loginPreset]),
    }),
  );

const DEFAULTS = {
  mongodbUri: "mongodb://127.0.0.1:27017",
  source: "core4.sys.log",
  target: "home.login",
  cookies: "home.sys.cookie",
  roles: "core4.sys.role",
  maxRunDays: 7305,
  checkpointMs: 5000,
  timezone: "UTC",
  loginPreset: "seed",
  jobName: "home-usage.aggregate",
  lockLeaseSeconds: 60,
  host: "127.0.0.1",
  port: 5001,
  apiTokens: [],
  trustProxy: false,
  queryTimeoutMs: 30_000,
  reportConcurrency: 2,
  reportQueue: 16,
};

const clone = (signal: LoginSignal): LoginSignal => ({
  pattern: signal.pattern,
  user: { ...signal.user },
  exclude: [...signal.exclude],
});

/**
 * Builds the configuration from defaults, a file, environment variables and flags, in that order of
 * precedence. A bad value is an `E_USAGE` error naming the variable, flag or file key it came from.
 */
export async function loadConfig(sources: ConfigSources = {}): Promise<HomeUsageConfig> {
  const raw: Record<string, unknown> = { ...DEFAULTS };
  const origin: Record<string, string> = {};
  if (sources.file) {
    const content = await readConfigFile(sources.file);
    for (const [key, value] of Object.entries(content)) {
      raw[key] = value;
      origin[key] = `${sources.file}: ${key}`;
    }
    // A file that spells out its own login signal means it, unless it also names a preset.
    if (content.login && content.loginPreset === undefined) raw.loginPreset = "custom";
  }
  const keys = Object.keys(SETTINGS) as FlagKey[];
  for (const key of keys) {
    const value = sources.env?.[SETTINGS[key].env];
    if (value !== undefined && value !== "") {
      raw[key] = value;
      origin[key] = SETTINGS[key].env;
    }
  }
  for (const key of keys) {
    const value = sources.flags?.[key];
    if (value !== undefined) {
      raw[key] = value;
      origin[key] = SETTINGS[key].flag;
    }
  }
  raw.periods ??= `${raw.target}_period`;
  raw.timezoneGiven = origin.timezone !== undefined;
  if (raw.loginPreset === "custom" && !raw.login) {
    throw new HomeUsageError("E_USAGE", `${origin.loginPreset ?? "loginPreset"}: "custom" needs a login section`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? "config");
    const where = origin[key] ?? key;
    // Secrets are never repeated back.
    const secret = key === "apiTokens" || key === "embedSecret" || key === "sessionSecret" || key === "mongodbUri";
    const value = typeof raw[key] === "string" && !secret ? ` "${raw[key]}"` : "";
    const detail = issue?.path.length && issue.path.length > 1 ? `${issue.path.slice(1).join(".")} ` : "";
    throw new HomeUsageError("E_USAGE", `${where}:${value} ${detail}${describeIssue(issue)}`);
  }
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return "is not valid";
  if (issue.code === "invalid_value") return `must be one of ${issue.values.map((v) => String(v)).join(", ")}`;
  return issue.message;
}

async function readConfigFile(path: string): Promise<z.infer<typeof fileSchema>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new HomeUsageError("E_USAGE", `--config: cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
  let data: unknown;
  try {
    data = extname(path) === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new HomeUsageError(
      "E_USAGE",
      `--config: ${path} is not valid ${extname(path) === ".json" ? "JSON" : "YAML"}: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  const parsed = fileSchema.safeParse(data ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "the file";
    const message = issue?.code === "unrecognized_keys" ? `unknown key ${issue.keys.join(", ")}` : issue?.message;
    throw new HomeUsageError("E_USAGE", `--config: ${path}: ${where}: ${message}`);
  }
  return parsed.data;
}
