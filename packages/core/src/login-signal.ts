import { z } from "zod";

/**
 * Which log records are logins, and who logged in.
 * The user comes from a field of the record, or from a named group of `pattern` matched against `message`.
 */
export interface LoginSignal {
  /** A regular expression matched against `message` (by the database, and again here for named groups). */
  pattern: string;
  /** Where the user name comes from. */
  user: { field: string } | { group: string };
  /** Users that are not people (technical accounts); their records are ignored. */
  exclude: string[];
}

export const LOGIN_PRESETS = {
  /** The original use case: a `successful login` message, the user in the record's `user` field. */
  seed: { pattern: "successful login", user: { field: "user" }, exclude: ["admin"] },
  /** What core4 writes when a person logs in with a password. */
  core4: {
    pattern: "^set \\[last_login\\] for role \\[(?<user>[^\\]]+)\\]",
    user: { group: "user" },
    exclude: ["admin"],
  },
} as const satisfies Record<string, LoginSignal>;

export type LoginPreset = keyof typeof LOGIN_PRESETS;

export const loginSignalSchema = z
  .object({
    pattern: z.string().min(1),
    user: z.union([z.object({ field: z.string().min(1) }).strict(), z.object({ group: z.string().min(1) }).strict()]),
    exclude: z.array(z.string()).default([]),
  })
  .strict()
  .superRefine((signal, ctx) => {
    let regex: RegExp;
    try {
      regex = new RegExp(signal.pattern);
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        path: ["pattern"],
        message: `not a regular expression: ${(error as Error).message}`,
      });
      return;
    }
    // Matching "" against `pattern|` takes the empty branch and lists every named group of the pattern.
    const groups = new RegExp(`${regex.source}|`).exec("")?.groups ?? {};
    if ("group" in signal.user && !Object.hasOwn(groups, signal.user.group)) {
      ctx.addIssue({
        code: "custom",
        path: ["user", "group"],
        message: `the pattern has no group named "${signal.user.group}"`,
      });
    }
  });

/** A login record as read from the log: only the fields the signal needs. */
export type LogRecord = { created?: unknown; message?: unknown } & Record<string, unknown>;

/** A compiled login signal: the database filter and projection, and the user extraction. */
export interface LoginMatcher {
  /** Matches login candidates in the database (no named groups, which not every server supports). */
  filter: { message: { $regex: string } };
  projection: Record<string, 0 | 1>;
  /** The user who logged in, or null when the record has no usable user. */
  userOf(record: LogRecord): string | null;
  /** Whether a user is a technical account to leave out. */
  excludes(user: string): boolean;
}

export function compileLoginSignal(signal: LoginSignal): LoginMatcher {
  const regex = new RegExp(signal.pattern);
  const excluded = new Set(signal.exclude);
  const serverPattern = signal.pattern.replace(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g, "(");
  const accept = (user: unknown): string | null => {
    if (typeof user !== "string") return null;
    const name = user.trim();
    return name === "" ? null : name;
  };
  const excludes = (user: string) => excluded.has(user);
  if ("field" in signal.user) {
    const field = signal.user.field;
    return {
      filter: { message: { $regex: serverPattern } },
      projection: { _id: 0, created: 1, [field]: 1 },
      userOf: (record) => accept(record[field]),
      excludes,
    };
  }
  const group = signal.user.group;
  return {
    filter: { message: { $regex: serverPattern } },
    projection: { _id: 0, created: 1, message: 1 },
    userOf: (record) =>
      typeof record.message === "string" ? accept(regex.exec(record.message)?.groups?.[group]) : null,
    excludes,
  };
}
