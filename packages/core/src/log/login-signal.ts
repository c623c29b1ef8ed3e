import type { Collection, Document } from "mongodb";
import { MongoServerError } from "mongodb";
import { RE2JS } from "re2js";
import { z } from "zod";
import { HomeUsageError } from "../errors.js";

/** One kind of login record: a regular expression on `message`, and where the person's name is. */
export interface LoginPattern {
  /** What messages and counts call it; the pattern itself when not given. */
  name?: string;
  /** A regular expression (RE2 syntax) matched against `message`, by the database and again here. */
  pattern: string;
  /** Where the user name comes from: a field of the record, or a named group of `pattern`. */
  user: { field: string } | { group: string };
}

/**
 * Which log records are logins, and who logged in: a record is a login when the first of `any` that
 * matches it yields a user; each record counts once.
 */
export interface LoginSignal {
  any: LoginPattern[];
  /** Users that are not people (technical accounts); their records are ignored. */
  exclude: string[];
}

const SUCCESSFUL_LOGIN: LoginPattern = {
  name: "successful login",
  pattern: "\\bsuccessful login\\b",
  user: { field: "user" },
};
const SET_LAST_LOGIN: LoginPattern = {
  name: "set last_login",
  pattern: "^set \\[last_login\\] for role \\[(?<user>[^\\]]+)\\]",
  user: { group: "user" },
};
const LOGIN_USER: LoginPattern = {
  name: "login user",
  pattern: "^login user \\[(?<user>[^\\]]+)\\] with _id",
  user: { group: "user" },
};

// A name of 1 to 3 or 5 and more characters, or of 4 that is not "None": RE2 has no lookahead, and
// spelling the exception out lets the database drop anonymous requests before they are sent.
const NAMED = "[^\\]]{5,}|[^\\]]{1,3}|[^N\\]][^\\]]{3}|N[^o\\]][^\\]]{2}|No[^n\\]][^\\]]|Non[^e\\]]";
/**
 * core4's access log (`core4/api/v1/application.py`), one record per request:
 * `[<status>] [<METHOD> <path>] in [<ms>ms] by [<name>] from [<identifier>]`, `None` for anonymous
 * requests. Only statuses below 400, which core4 logs at INFO, are use.
 */
const ACCESS_LOG: LoginPattern = {
  name: "access log",
  pattern: `^\\[[1-3][0-9][0-9]\\] \\[[A-Z]+ [^ ]*\\] in \\[[0-9.]+ms\\] by \\[(?<user>${NAMED})\\] from \\[`,
  user: { group: "user" },
};

export const LOGIN_PRESETS = {
  /** All that is known: the use case's `successful login`, and what core4 writes now and wrote before. */
  auto: { any: [SUCCESSFUL_LOGIN, SET_LAST_LOGIN, LOGIN_USER], exclude: ["admin"] },
  /** The original use case: a `successful login` message, the user in the record's `user` field. */
  seed: { any: [SUCCESSFUL_LOGIN], exclude: ["admin"] },
  /** What core4 writes when a person logs in with a password. */
  core4: { any: [SET_LAST_LOGIN], exclude: ["admin"] },
  /** Everything `auto` counts, and every request core4 answered below 400 for a named person. */
  activity: { any: [SUCCESSFUL_LOGIN, SET_LAST_LOGIN, LOGIN_USER, ACCESS_LOG], exclude: ["admin"] },
} as const satisfies Record<string, LoginSignal>;

export type LoginPreset = keyof typeof LOGIN_PRESETS;

/** A copy of a preset, so no caller can change the preset itself. */
export function loginPreset(name: LoginPreset): LoginSignal {
  const preset = LOGIN_PRESETS[name];
  return { any: preset.any.map((p) => ({ ...p, user: { ...p.user } })), exclude: [...preset.exclude] };
}

// What RE2 leaves out on purpose, so matching stays linear in the message's length.
const UNSUPPORTED: [RegExp, string][] = [
  [/\(\?<[=!]/, "a lookbehind ((?<= or (?<!)"],
  [/\(\?[=!]/, "a lookahead ((?= or (?!)"],
  [/\\[1-9]|\\k</, "a backreference (\\1 or \\k<name>)"],
  [/\(\?>/, "an atomic group ((?>)"],
  [/[*+?}]\+/, "a possessive quantifier (*+, ++, ?+)"],
];

/** Compiles a pattern with RE2, or says in words why it cannot be. */
function compilePattern(pattern: string): { regex: RE2JS } | { error: string } {
  try {
    return { regex: RE2JS.compile(pattern) };
  } catch (error) {
    const feature = UNSUPPORTED.find(([syntax]) => syntax.test(pattern))?.[1];
    if (feature) {
      return {
        error: `uses ${feature}, which the linear-time matcher (RE2) cannot run; match the text itself instead`,
      };
    }
    return { error: `not a regular expression RE2 accepts: ${(error as Error).message}` };
  }
}

const loginPatternSchema = z
  .object({
    name: z.string().min(1).optional(),
    pattern: z.string().min(1),
    user: z.union([z.object({ field: z.string().min(1) }).strict(), z.object({ group: z.string().min(1) }).strict()]),
  })
  .strict()
  .superRefine((signal, ctx) => {
    const compiled = compilePattern(signal.pattern);
    if ("error" in compiled) {
      ctx.addIssue({ code: "custom", path: ["pattern"], message: compiled.error });
      return;
    }
    if ("group" in signal.user && !Object.hasOwn(compiled.regex.namedGroups(), signal.user.group)) {
      ctx.addIssue({
        code: "custom",
        path: ["user", "group"],
        message: `the pattern has no group named "${signal.user.group}"`,
      });
    }
  });

/**
 * A login signal as a configuration file writes it: one pattern (`pattern`, `user`, `exclude`), or
 * several under `any`.
 */
export const loginSignalFileSchema = z.union([
  z
    .object({ any: z.array(loginPatternSchema).min(1), exclude: z.array(z.string()).default([]) })
    .strict()
    .transform((s): LoginSignal => s),
  loginPatternSchema
    .and(z.object({ exclude: z.array(z.string()).default([]) }))
    .transform(({ exclude, ...pattern }): LoginSignal => ({ any: [pattern], exclude })),
]);

/** A log record as read: only the fields the signal needs. */
export type LogRecord = { created?: unknown; message?: unknown } & Record<string, unknown>;

/** A compiled login signal: the database filter and projection, and the user extraction. */
export interface LoginMatcher {
  /** Finds login candidates in the database (no named groups, which not every server supports). */
  filter: { message: { $regex: string } };
  projection: Record<string, 0 | 1>;
  /** The names of the signal's patterns, in the order they are tried (for messages). */
  signals: string[];
  /** Who logged in and by which pattern, or null when the record is not a login with a usable user. */
  match(record: LogRecord): { user: string; signal: string } | null;
  /** Whether a user is a technical account to leave out. */
  excludes(user: string): boolean;
}

const accept = (user: unknown): string | null => {
  if (typeof user !== "string") return null;
  const name = user.trim();
  return name === "" ? null : name;
};

// The database gets the pattern without group names; MongoDB and FerretDB both run plain groups.
const serverPattern = (pattern: string) => pattern.replace(/\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/g, "(");

/**
 * Compiles a signal. Messages are matched here with RE2 (linear time, so no pattern can hang a run);
 * the database only narrows the records down. Throws `E_USAGE` for a pattern RE2 cannot run.
 */
export function compileLoginSignal(signal: LoginSignal): LoginMatcher {
  const excluded = new Set(signal.exclude);
  const patterns = signal.any.map((p) => {
    const compiled = compilePattern(p.pattern);
    if ("error" in compiled) throw new HomeUsageError("E_USAGE", `login pattern "${p.pattern}": ${compiled.error}`);
    return { name: p.name ?? p.pattern, regex: compiled.regex, user: p.user };
  });
  const fields = new Set(patterns.flatMap((p) => ("field" in p.user ? [p.user.field] : [])));
  const match = (record: LogRecord) => {
    if (typeof record.message !== "string") return null;
    for (const p of patterns) {
      const found = p.regex.matcher(record.message);
      if (!found.find()) continue;
      const user = accept("field" in p.user ? record[p.user.field] : found.group(p.user.group));
      if (user !== null) return { user, signal: p.name };
    }
    return null;
  };
  return {
    filter: {
      message: {
        $regex:
          signal.any.length === 1
            ? serverPattern((signal.any[0] as LoginPattern).pattern)
            : signal.any.map((p) => `(?:${serverPattern(p.pattern)})`).join("|"),
      },
    },
    projection: { _id: 0, created: 1, message: 1, ...Object.fromEntries([...fields].map((f) => [f, 1 as const])) },
    signals: patterns.map((p) => p.name),
    match,
    excludes: (user) => excluded.has(user),
  };
}

/**
 * Runs the signal's filter once (limit 1), so a pattern the database refuses is an `E_USAGE` error
 * before a run starts rather than a failure in the middle of it.
 */
export async function checkLoginSignalOnDatabase(
  collection: Collection<Document>,
  signal: LoginSignal,
  options: { maxTimeMS?: number } = {},
): Promise<void> {
  const { filter } = compileLoginSignal(signal);
  try {
    await collection
      .find(filter, { projection: { _id: 1 }, maxTimeMS: options.maxTimeMS ?? 5_000 })
      .limit(1)
      .toArray();
  } catch (error) {
    // The database parsed the pattern and then ran out of time looking: the pattern is fine.
    if (error instanceof MongoServerError && error.code === 50) return;
    if (error instanceof MongoServerError && ![13, 18].includes(Number(error.code))) {
      throw new HomeUsageError(
        "E_USAGE",
        `the database refuses the login pattern ${filter.message.$regex}: ${error.message.split("\n")[0]}; change the login section of the configuration file`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** A message with its variable parts (bracketed, quoted, ids, numbers) blanked, so alike ones group. */
export function messageShape(message: string): string {
  return message
    .replace(/\[[^\]]*\]/g, "[...]")
    .replace(/"[^"]*"|'[^']*'/g, '"..."')
    .replace(/\b[0-9a-f]{12,}\b/gi, "<id>")
    .replace(/\d+(\.\d+)*/g, "<n>")
    .slice(0, 160);
}

/**
 * The most frequent message shapes among the newest `sample` records of a log, for the operator who
 * must write a login pattern. Bounded: it reads at most `sample` messages.
 */
export async function frequentMessages(
  collection: Collection<Document>,
  options: { limit?: number; sample?: number; maxTimeMS?: number } = {},
): Promise<{ message: string; count: number }[]> {
  const limit = options.limit ?? 3;
  const counts = new Map<string, number>();
  const cursor = collection
    .find({}, { projection: { _id: 0, message: 1 }, maxTimeMS: options.maxTimeMS ?? 10_000 })
    .sort({ _id: -1 })
    .limit(options.sample ?? 5_000);
  for await (const record of cursor) {
    if (typeof record.message !== "string" || record.message.trim() === "") continue;
    const shape = messageShape(record.message.trim());
    counts.set(shape, (counts.get(shape) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([message, count]) => ({ message, count }));
}
