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

type FlagKey = "mongodbUri" | "source" | "target" | "cookies" | "timezone" | "start" | "loginPreset" | "now";

const ENV_NAMES: Record<FlagKey, string> = {
  mongodbUri: "MONGODB_URI",
  source: "HOME_USAGE_SOURCE",
  target: "HOME_USAGE_TARGET",
  cookies: "HOME_USAGE_COOKIES",
  timezone: "HOME_USAGE_TIMEZONE",
  start: "HOME_USAGE_START",
  loginPreset: "HOME_USAGE_LOGIN_PRESET",
  now: "HOME_USAGE_NOW",
};

const FLAG_NAMES: Record<FlagKey, string> = {
  mongodbUri: "--mongodb-uri",
  source: "--source",
  target: "--target",
  cookies: "--cookies",
  timezone: "--timezone",
  start: "--start",
  loginPreset: "--login-preset",
  now: "--now",
};

const namespace = z
  .string()
  .regex(/^[^.\s/\\"$]+\.[^\s$]+$/, "must be database.collection, such as core4.sys.log")
  .transform((value): Namespace => {
    const dot = value.indexOf(".");
    return { db: value.slice(0, dot), collection: value.slice(dot + 1) };
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
    timezone: z.string(),
    start: z.string(),
    loginPreset: z.string(),
    login: loginSignalSchema,
    jobName: z.string(),
    lockLeaseSeconds: z.number(),
    now: z.string(),
  })
  .partial()
  .strict();

const configSchema = z
  .object({
    mongodbUri: z.string().regex(/^mongodb(\+srv)?:\/\//, "must be a mongodb:// or mongodb+srv:// URI"),
    source: namespace,
    target: namespace,
    cookies: namespace,
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
  timezone: "UTC",
  loginPreset: "seed",
  jobName: "home-usage.aggregate",
  lockLeaseSeconds: 60,
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
  for (const key of Object.keys(ENV_NAMES) as FlagKey[]) {
    const value = sources.env?.[ENV_NAMES[key]];
    if (value !== undefined && value !== "") {
      raw[key] = value;
      origin[key] = ENV_NAMES[key];
    }
  }
  for (const key of Object.keys(FLAG_NAMES) as FlagKey[]) {
    const value = sources.flags?.[key];
    if (value !== undefined) {
      raw[key] = value;
      origin[key] = FLAG_NAMES[key];
    }
  }
  if (raw.loginPreset === "custom" && !raw.login) {
    throw new HomeUsageError("E_USAGE", `${origin.loginPreset ?? "loginPreset"}: "custom" needs a login section`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? "config");
    const where = origin[key] ?? key;
    const value = typeof raw[key] === "string" ? ` "${raw[key]}"` : "";
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
