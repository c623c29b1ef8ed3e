// Every setting of home-usage, once: its name, environment variable, flag, file key, schema, default and
// description. The configuration type, the file schema, environment and flag parsing (config.ts), both
// programs' options and the README's settings table are all derived from SETTINGS.
import { IANAZone } from "luxon";
import { z } from "zod";
import { type LoginPreset, loginSignalFileSchema } from "../log/login-signal.js";

/** A MongoDB collection named as `database.collection` (the database is the part before the first dot). */
export interface Namespace {
  db: string;
  collection: string;
}

/** Which program reads a setting; both read the shared ones. */
export type Program = "cli" | "api";

/** One setting. Values from the environment and flags arrive as strings, from a file as JSON/YAML values. */
export interface Setting<S extends z.ZodType = z.ZodType> {
  /** The environment variable, if the setting may come from one. */
  env?: string;
  /** The flag, with its placeholder (`--source <db.collection>`), if the setting may come from one. */
  flag?: string;
  /** Validates and converts what was given; the message completes "<where>: <value> …". */
  schema: S;
  /** The value when nothing is given, as it would be written (or a function of the values given so far). */
  default?: string | number | boolean | string[] | ((raw: Record<string, unknown>) => unknown);
  /** How the README and `--help` show the default, when `default` does not say it well. */
  defaultText?: string;
  description: string;
  /** Which programs read it. */
  programs: readonly Program[];
  /** Never repeated back in messages. */
  secret?: boolean;
}

const BOTH = ["cli", "api"] as const;
const CLI = ["cli"] as const;
const API = ["api"] as const;

const setting = <S extends z.ZodType>(s: Setting<S>) => s;

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

const BOOLEAN_WORDS = new Map([
  ["true", true],
  ["1", true],
  ["yes", true],
  ["false", false],
  ["0", false],
  ["no", false],
]);
const flag = z
  .union([z.boolean(), z.string()])
  .refine((v) => typeof v === "boolean" || BOOLEAN_WORDS.has(v.trim().toLowerCase()), "must be true or false")
  .transform((v) => (typeof v === "boolean" ? v : (BOOLEAN_WORDS.get(v.trim().toLowerCase()) as boolean)));

/** How names leave home-usage: as they are, as keyed pseudonyms, or not at all. */
export const NAMES_MODES = ["show", "pseudonymous", "hidden"] as const;

const PRESETS = ["auto", "seed", "core4", "activity", "custom"] as const satisfies readonly (LoginPreset | "custom")[];

/** Every setting, in the order the README and `--help` list them. */
export const SETTINGS = {
  mongodbUri: setting({
    env: "MONGODB_URI",
    flag: "--mongodb-uri <uri>",
    schema: z.string().regex(/^mongodb(\+srv)?:\/\//, "must be a mongodb:// or mongodb+srv:// URI"),
    default: "mongodb://127.0.0.1:27017",
    description: "the MongoDB server",
    programs: BOTH,
    secret: true,
  }),
  source: setting({
    env: "HOME_USAGE_SOURCE",
    flag: "--source <db.collection>",
    schema: namespace,
    default: "core4.sys.log",
    description: "the core4 log (the database is the part before the first dot)",
    programs: CLI,
  }),
  target: setting({
    env: "HOME_USAGE_TARGET",
    flag: "--target <db.collection>",
    schema: namespace,
    default: "home.login",
    description: "the daily rollup",
    programs: BOTH,
  }),
  periods: setting({
    env: "HOME_USAGE_PERIODS",
    flag: "--periods <db.collection>",
    schema: namespace,
    default: (raw) => `${String(raw.target)}_period`,
    defaultText: "the target with `_period` appended: `home.login_period`",
    description: "the per-period counts",
    programs: BOTH,
  }),
  cookies: setting({
    env: "HOME_USAGE_COOKIES",
    flag: "--cookies <db.collection>",
    schema: namespace,
    default: "home.sys.cookie",
    description: "the job's checkpoint and lock",
    programs: BOTH,
  }),
  digests: setting({
    env: "HOME_USAGE_DIGESTS",
    flag: "--digests <db.collection>",
    schema: namespace,
    default: (raw) => `${String(raw.target)}_digest`,
    defaultText: "the target with `_digest` appended: `home.login_digest`",
    description: "which digests were sent to which target (`home-usage digest`)",
    programs: CLI,
  }),
  roles: setting({
    env: "HOME_USAGE_ROLES",
    flag: "--roles <db.collection>",
    schema: namespace,
    default: "core4.sys.role",
    description: "core4's accounts",
    programs: BOTH,
  }),
  timezone: setting({
    env: "HOME_USAGE_TIMEZONE",
    flag: "--timezone <zone>",
    schema: z.string().refine((zone) => IANAZone.isValidZone(zone), "is not an IANA time zone"),
    default: "UTC",
    description: "the IANA zone whose midnight starts a day",
    programs: BOTH,
  }),
  start: setting({
    env: "HOME_USAGE_START",
    schema: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a day as YYYY-MM-DD")
      .optional(),
    defaultText: "the day of the oldest login record",
    description: "the first day of the first run (and after `--reset`)",
    programs: CLI,
  }),
  maxRunDays: setting({
    env: "HOME_USAGE_MAX_RUN_DAYS",
    flag: "--max-run-days <days>",
    schema: wholeNumber(1, 1_000_000),
    default: 7305,
    defaultText: "`7305` (20 years)",
    description:
      "the longest run, in days, the job plans; a longer one is a usage error unless its start is given with --start and --yes",
    programs: CLI,
  }),
  checkpointMs: setting({
    env: "HOME_USAGE_CHECKPOINT_MS",
    flag: "--checkpoint-ms <ms>",
    schema: wholeNumber(0, 3_600_000),
    default: 5000,
    description:
      "how often the job writes what it has read and moves its checkpoint (a killed run redoes at most this much)",
    programs: CLI,
  }),
  loginPreset: setting({
    env: "HOME_USAGE_LOGIN_PRESET",
    flag: "--login-preset <name>",
    schema: z.enum(PRESETS),
    default: "auto",
    description: "which records are logins: `auto`, `seed`, `core4` or `activity` (`custom` with a file's `login`)",
    programs: CLI,
  }),
  login: setting({
    schema: loginSignalFileSchema.optional(),
    defaultText: "the preset's",
    description: "a login signal of your own (file only; see below)",
    programs: CLI,
  }),
  jobName: setting({
    schema: z.string().min(1),
    default: "home-usage.aggregate",
    description: "the checkpoint's `_id`, and the lock's name (file only)",
    programs: BOTH,
  }),
  lockLeaseSeconds: setting({
    schema: wholeNumber(5, 3600),
    default: 60,
    description: "seconds a run's lock lasts without a heartbeat (file only)",
    programs: CLI,
  }),
  now: setting({
    env: "HOME_USAGE_NOW",
    flag: "--now <iso>",
    schema: z
      .string()
      .refine((v) => !Number.isNaN(Date.parse(v)), "must be an ISO 8601 date-time")
      .transform((v) => new Date(v))
      .optional(),
    defaultText: "the wall clock",
    description: 'fixes "now", for tests and reproducible runs',
    programs: BOTH,
  }),
  queryTimeoutMs: setting({
    env: "HOME_USAGE_QUERY_TIMEOUT_MS",
    flag: "--query-timeout-ms <ms>",
    schema: wholeNumber(100, 3_600_000),
    default: 30_000,
    description: "the time budget of one database query, all its batches, and of all the reads of one API request",
    programs: BOTH,
  }),
  minGroupSize: setting({
    env: "HOME_USAGE_MIN_GROUP_SIZE",
    flag: "--min-group-size <n>",
    schema: wholeNumber(1, 1_000_000),
    default: 5,
    description:
      "the fewest people a group's figure shows; a group of 1 to this minus 1 people is suppressed (1 shows everything)",
    programs: BOTH,
  }),
  names: setting({
    env: "HOME_USAGE_NAMES",
    flag: "--names <mode>",
    schema: z.enum(NAMES_MODES),
    default: "show",
    description:
      "what people's names look like wherever they leave home-usage: `show`, `pseudonymous` (keyed pseudonyms) or `hidden` (no names at all)",
    programs: BOTH,
  }),
  pseudonymSecret: setting({
    env: "HOME_USAGE_PSEUDONYM_SECRET",
    schema: z.string().min(16, "must be at least 16 characters").optional(),
    defaultText: "none",
    description:
      "the key of the pseudonyms (16 characters or more; never a flag); needed by `pseudonymous` and `forget`, and by every run once somebody was forgotten",
    programs: BOTH,
    secret: true,
  }),
  nameRetention: setting({
    env: "HOME_USAGE_NAME_RETENTION_DAYS",
    flag: "--name-retention <days>",
    schema: wholeNumber(0, 100_000).optional(),
    defaultText: "none: names are kept",
    description:
      "each run replaces the names in the rollup's documents of periods that ended more than this many days ago by keyed pseudonyms",
    programs: CLI,
  }),
  embedSecret: setting({
    env: "HOME_USAGE_EMBED_SECRET",
    flag: "--embed-secret <secret>",
    schema: z.string().min(16, "must be at least 16 characters").optional(),
    defaultText: "none: no embed URLs",
    description: "the key that signs embed URLs (16 characters or more)",
    programs: BOTH,
    secret: true,
  }),
  smtpUrl: setting({
    env: "HOME_USAGE_SMTP_URL",
    schema: z
      .string()
      .refine((v) => URL.canParse(v) && /^smtps?:$/.test(new URL(v).protocol), "must be an smtp:// or smtps:// URL")
      .optional(),
    defaultText: "none: no e-mail",
    description:
      "the mail server digests are sent through, such as `smtp://user:pass@host:587` (STARTTLS when offered; environment or file only)",
    programs: CLI,
    secret: true,
  }),
  mailFrom: setting({
    env: "HOME_USAGE_MAIL_FROM",
    flag: "--mail-from <address>",
    schema: z
      .string()
      .regex(/^[^\r\n]*[^@\s<>]+@[^@\s<>]+>?$/, "must be an e-mail address, such as home-usage@example.com")
      .optional(),
    defaultText: "none: no e-mail",
    description: "the sender of the digests' e-mail",
    programs: CLI,
  }),
  host: setting({
    env: "HOST",
    flag: "--host <address>",
    schema: z.string().min(1),
    default: "127.0.0.1",
    description: "the address the API listens on",
    programs: API,
  }),
  port: setting({
    env: "PORT",
    flag: "--port <port>",
    schema: z.coerce
      .number({ message: "must be a TCP port number" })
      .int("must be a TCP port number")
      .min(0, "must be a TCP port number")
      .max(65535, "must be a TCP port number"),
    default: 5001,
    description: "the port the API listens on",
    programs: API,
  }),
  apiTokens: setting({
    env: "HOME_USAGE_API_TOKENS",
    flag: "--api-tokens <tokens>",
    schema: z
      .union([z.array(z.string()), z.string()])
      .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((t) => t.trim()).filter(Boolean))
      .refine((tokens) => tokens.every((t) => t.length >= 16), "each token must be at least 16 characters"),
    default: [],
    defaultText: "none: loopback only",
    description: "bearer tokens the API accepts, comma-separated (16 characters or more each)",
    programs: API,
    secret: true,
  }),
  publicUrl: setting({
    env: "HOME_USAGE_PUBLIC_URL",
    flag: "--public-url <url>",
    schema: z
      .string()
      .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), {
        message: "must be an http:// or https:// URL",
        abort: true,
      })
      .refine((v) => !new URL(v).search && !new URL(v).hash, "must have no query or fragment")
      // Links are built as base + path: the base never ends in a slash.
      .transform((v) => {
        const url = new URL(v);
        return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
      })
      .optional(),
    defaultText: "from each request's Host",
    description: "where people reach the API, for the links it builds (and the digests' links and chart images)",
    programs: BOTH,
  }),
  trustProxy: setting({
    env: "HOME_USAGE_TRUST_PROXY",
    flag: "--trust-proxy",
    schema: flag,
    default: false,
    description: "believe X-Forwarded-* headers (behind a reverse proxy)",
    programs: API,
  }),
  sessionSecret: setting({
    env: "HOME_USAGE_SESSION_SECRET",
    flag: "--session-secret <secret>",
    schema: z.string().min(16, "must be at least 16 characters").optional(),
    defaultText: "none",
    description: "the key that signs the API's sessions (16 characters or more)",
    programs: API,
    secret: true,
  }),
  core4Permission: setting({
    env: "HOME_USAGE_CORE4_PERMISSION",
    flag: "--core4-permission <perm>",
    schema: z
      .string()
      .regex(/^(cop|(api|app|job|mongodb):\/\/\S+)$/, "must be a core4 permission, such as api://home.usage or cop")
      .optional(),
    defaultText: "none: no core4 sign-in",
    description: "when set, the API requires sign-in: core4 accounts holding this permission or `cop` may sign in",
    programs: API,
  }),
  core4TokenSecret: setting({
    env: "HOME_USAGE_CORE4_TOKEN_SECRET",
    flag: "--core4-token-secret <key>",
    schema: z.string().min(1, "must not be empty").optional(),
    defaultText: "none: no core4 tokens",
    description: "core4's `api.token.secret`: core4's HS256 JWTs are then accepted as bearer tokens",
    programs: API,
    secret: true,
  }),
  reportConcurrency: setting({
    env: "HOME_USAGE_REPORT_CONCURRENCY",
    flag: "--report-concurrency <n>",
    schema: wholeNumber(1, 64),
    default: 2,
    description: "reports the API computes at once",
    programs: API,
  }),
  reportQueue: setting({
    env: "HOME_USAGE_REPORT_QUEUE",
    flag: "--report-queue <n>",
    schema: wholeNumber(0, 10_000),
    default: 16,
    description: "reports that may wait for one of those; more get 503",
    programs: API,
  }),
} as const;

export type SettingKey = keyof typeof SETTINGS;

type Value<K extends SettingKey> = z.output<(typeof SETTINGS)[K]["schema"]>;
type OptionalKey = { [K in SettingKey]: undefined extends Value<K> ? K : never }[SettingKey];

/** The settings as parsed: optional ones may be absent. */
export type Settings = { [K in Exclude<SettingKey, OptionalKey>]: Value<K> } & {
  [K in OptionalKey]?: Exclude<Value<K>, undefined>;
};

/** A setting's names, as messages and help show them: `the setting start (HOME_USAGE_START)`. */
export function describeSetting(key: SettingKey): string {
  const s: Setting = SETTINGS[key];
  const names = [s.env, s.flag?.split(" ")[0]].filter(Boolean).join(", ");
  return `the setting ${key}${names ? ` (${names})` : ""}`;
}

/** The text a default is shown as. */
export function defaultText(key: SettingKey): string {
  const s: Setting = SETTINGS[key];
  if (s.defaultText) return s.defaultText;
  if (typeof s.default === "function" || s.default === undefined) return "";
  const value = Array.isArray(s.default) ? s.default.join(",") : String(s.default);
  return `\`${value}\``;
}

/** The flags a program takes for its settings, for its command-line parser. */
export function settingOptions(program: Program): { key: SettingKey; flag: string; help: string }[] {
  return (Object.keys(SETTINGS) as SettingKey[]).flatMap((key) => {
    const s: Setting = SETTINGS[key];
    if (!s.flag || !s.programs.includes(program)) return [];
    const shown = defaultText(key).replaceAll("`", "");
    const help = `${s.description.replaceAll("`", "")} [env ${s.env}${shown ? `; default ${shown}` : ""}]`;
    return [{ key, flag: s.flag, help }];
  });
}

/** The README's settings table, in Markdown. */
export function settingsTable(): string {
  const rows = (Object.keys(SETTINGS) as SettingKey[]).map((key) => {
    const s: Setting = SETTINGS[key];
    const used = s.programs.length === 2 ? "both" : s.programs[0] === "cli" ? "job" : "API";
    return [
      s.env ? `\`${s.env}\`` : "",
      s.flag ? `\`${s.flag.split(" ")[0]}\`` : "",
      `\`${key}\``,
      used,
      defaultText(key),
      s.description,
    ];
  });
  const header = ["variable", "flag", "file key", "read by", "default", "what"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
