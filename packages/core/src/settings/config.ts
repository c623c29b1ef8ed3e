import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { HomeUsageError } from "../errors.js";
import { type LoginSignal, loginPreset } from "../log/login-signal.js";
import { SETTINGS, type Setting, type SettingKey, type Settings } from "./settings.js";

export type { Namespace } from "./settings.js";

/** The configuration of both programs: every setting of SETTINGS, and the login signal in effect. */
export interface HomeUsageConfig extends Omit<Settings, "login"> {
  /** The signal of the preset, or the file's own when `loginPreset` is `custom`. */
  login: LoginSignal;
  /** Whether the time zone was set (not the default): readers then insist the rollup has it. */
  timezoneGiven: boolean;
}

/**
 * The process's one clock: the fixed "now" of HOME_USAGE_NOW (`--now`; tests, reproducible runs), else
 * the wall clock. Everything that asks what time it is in a run or a request asks this.
 */
export function clockOf(config: Pick<HomeUsageConfig, "now">): () => Date {
  const fixed = config.now;
  return fixed ? () => fixed : () => new Date();
}

/** Where a setting may come from, in rising precedence. */
export interface ConfigSources {
  /** A JSON or YAML file's path (`--config`). */
  file?: string;
  /** Environment variables; only those of SETTINGS are read. */
  env?: Record<string, string | undefined>;
  /** Command-line flags, already parsed, by setting name. */
  flags?: Partial<Record<SettingKey, string | boolean>>;
}

const KEYS = Object.keys(SETTINGS) as SettingKey[];
const table: Record<SettingKey, Setting> = SETTINGS;

// Values are checked by each setting's schema afterwards; the file schema only knows the keys.
const fileSchema = z
  .object(Object.fromEntries(KEYS.map((key) => [key, z.unknown()])))
  .partial()
  .strict();

/**
 * Builds the configuration from defaults, a file, environment variables and flags, in that order of
 * precedence. A bad value is an `E_USAGE` error naming the variable, flag or file key it came from.
 */
export async function loadConfig(sources: ConfigSources = {}): Promise<HomeUsageConfig> {
  const given: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  if (sources.file) {
    const content = await readConfigFile(sources.file);
    for (const [key, value] of Object.entries(content)) {
      given[key] = value;
      origin[key] = `${sources.file}: ${key}`;
    }
    // A file that spells out its own login signal means it, unless it also names a preset.
    if (content.login !== undefined && content.loginPreset === undefined) given.loginPreset = "custom";
  }
  for (const key of KEYS) {
    const name = table[key].env;
    const value = name ? sources.env?.[name] : undefined;
    if (name && value !== undefined && value !== "") {
      given[key] = value;
      origin[key] = name;
    }
  }
  for (const key of KEYS) {
    const value = sources.flags?.[key];
    if (value !== undefined) {
      given[key] = value;
      origin[key] = table[key].flag?.split(" ")[0] ?? key;
    }
  }

  const parsed: Record<string, unknown> = {};
  const raw: Record<string, unknown> = {};
  for (const key of KEYS) {
    const s = table[key];
    raw[key] = key in given ? given[key] : typeof s.default === "function" ? s.default(raw) : s.default;
    const result = s.schema.safeParse(raw[key]);
    if (!result.success) throw usageError(key, raw[key], origin[key], result.error.issues[0]);
    if (result.data !== undefined) parsed[key] = result.data;
  }
  const { login, ...settings } = parsed as Settings;
  if (settings.loginPreset === "custom" && !login) {
    throw new HomeUsageError("E_USAGE", `${origin.loginPreset ?? "loginPreset"}: "custom" needs a login section`);
  }
  const needsSecret =
    settings.names === "pseudonymous"
      ? `${origin.names ?? "names"}: "pseudonymous"`
      : settings.nameRetention !== undefined
        ? (origin.nameRetention ?? "nameRetention")
        : null;
  if (needsSecret && !settings.pseudonymSecret) {
    throw new HomeUsageError(
      "E_USAGE",
      `${needsSecret} needs HOME_USAGE_PSEUDONYM_SECRET (16 characters or more, from the environment or the file's pseudonymSecret)`,
    );
  }
  return {
    ...settings,
    login: settings.loginPreset === "custom" ? (login as LoginSignal) : loginPreset(settings.loginPreset),
    timezoneGiven: origin.timezone !== undefined,
  };
}

function usageError(key: SettingKey, value: unknown, where: string | undefined, issue: z.core.$ZodIssue | undefined) {
  // Secrets are never repeated back.
  const shown = typeof value === "string" && !table[key].secret ? ` "${value}"` : "";
  const detail = issue?.path.length ? `${issue.path.join(".")} ` : "";
  return new HomeUsageError("E_USAGE", `${where ?? key}:${shown} ${detail}${describeIssue(issue)}`);
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return "is not valid";
  if (issue.code === "invalid_value") return `must be one of ${issue.values.map((v) => String(v)).join(", ")}`;
  if (issue.code === "invalid_union") {
    // A login section matches neither form: say what is wrong with the form it was closest to.
    const inner = issue.errors.map((e) => e[0]).find((e) => e && e.code !== "invalid_type") ?? issue.errors[0]?.[0];
    if (inner) return `${inner.path.length ? `${inner.path.join(".")} ` : ""}${describeIssue(inner)}`;
  }
  if (issue.code === "unrecognized_keys") return `unknown key ${issue.keys.join(", ")}`;
  return issue.message;
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
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
