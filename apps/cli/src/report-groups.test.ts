// `home-usage report --by group` and the activity preset, as processes, over the demo's log and groups.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyEmbedToken } from "@home-usage/core";
import { writeDemoData, writeDemoRoles } from "@home-usage/demo";
import { DateTime } from "luxon";
import type { Document } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../tools/test/cli.js";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";

const t = useTestDatabase("cli_groups");
const NOW = "2026-06-30T12:00:00Z";
const RANGE = ["--start", "2026-06-01", "--end", "2026-06-29", "--aggregate", "w"];

function envFor(name: string, extra: Record<string, string> = {}) {
  return {
    PATH: process.env.PATH ?? "",
    ...databaseEnv(t, name, "sys.log"),
    HOME_USAGE_ROLES: `${t.name}.sys.role`,
    HOME_USAGE_NOW: NOW,
    ...extra,
  };
}

const run = runCli;

let log: Document[];
let roles: Document[];

beforeAll(async () => {
  await writeDemoData(t.db.collection("sys.log"), { days: 40, users: 60, seed: 5, end: new Date("2026-06-29") });
  await writeDemoRoles(t.db.collection("sys.role"), { users: 60 });
  log = await t.db
    .collection("sys.log")
    .find({}, { projection: { created: 1, message: 1, user: 1 } })
    .toArray();
  roles = await t.db.collection("sys.role").find().toArray();
  for (const preset of ["auto", "activity"]) {
    const done = await run(["aggregate", "--start", "2026-06-01"], envFor(preset, { HOME_USAGE_LOGIN_PRESET: preset }));
    expect(done.code, done.stderr).toBe(0);
  }
}, 120_000);

// The independent answer: the log read with plain expressions, sys.role walked by hand.
const LOGIN = [/^set \[last_login\] for role \[([^\]]+)\]/, /^login user \[([^\]]+)\] with _id/];
const ACCESS = /^\[(\d{3})\] \[[A-Z]+ \S*\] in \[[\d.]+ms\] by \[([^\]]+)\] from \[/;
function personOf(record: Document, activity: boolean): string | null {
  const message = String(record.message);
  if (message === "successful login") return typeof record.user === "string" ? record.user : null;
  for (const pattern of LOGIN) {
    const name = pattern.exec(message)?.[1];
    if (name) return name;
  }
  const [, status, name] = (activity && ACCESS.exec(message)) || [];
  return status && name && Number(status) < 400 && name !== "None" ? name : null;
}
function groupsOf(user: string): string[] {
  const account = roles.find((r) => r.name === user && typeof r.email === "string");
  if (!account) return ["(no account)"];
  const found: string[] = [];
  const seen = new Set<Document>();
  const queue: unknown[] = [...(account.role ?? [])];
  while (queue.length) {
    const ref = queue.shift() as { toHexString?: () => string } | string;
    const role = roles.find((r) =>
      typeof ref === "string" ? r.name === ref : r._id.toHexString() === ref.toHexString?.(),
    );
    if (!role || seen.has(role)) continue;
    seen.add(role);
    if (role.is_active === false) continue;
    if (typeof role.email !== "string") found.push(role.name);
    queue.push(...(role.role ?? []));
  }
  return found.length ? found : ["(none)"];
}
/** Distinct people per week and group in [2026-06-01, 2026-06-29), at threshold k. */
function expected(activity: boolean, k: number) {
  const groups = [
    ...roles
      .filter((r) => typeof r.email !== "string" && r.is_active !== false)
      .map((r) => r.name as string)
      .sort(),
    "(none)",
    "(no account)",
  ];
  const weeks = new Map<string, Map<string, number>>();
  for (const record of log) {
    const day = (record.created as Date).toISOString().slice(0, 10);
    const user = personOf(record, activity);
    if (!user || user === "admin" || day < "2026-06-01" || day >= "2026-06-29") continue;
    const week = DateTime.fromJSDate(record.created as Date, { zone: "UTC" }).toFormat("kkkk-'W'WW");
    const people = weeks.get(week) ?? new Map<string, number>();
    people.set(user, (people.get(user) ?? 0) + 1);
    weeks.set(week, people);
  }
  return [...weeks.keys()].sort().flatMap((week) =>
    groups.map((group) => {
      const members = [...(weeks.get(week) ?? [])].filter(([user]) => groupsOf(user).includes(group));
      const user = members.length;
      const suppressed = user > 0 && user < k;
      return {
        timestamp: DateTime.fromFormat(week, "kkkk-'W'WW", { zone: "UTC" }).toISO(),
        period: week,
        group,
        user: suppressed ? null : user,
        logins: suppressed ? null : members.reduce((sum, [, n]) => sum + n, 0),
        suppressed,
      };
    }),
  );
}

describe("home-usage report --by group", () => {
  it("prints distinct people per week and group, as counted from the log and sys.role", async () => {
    const all = await run(
      ["report", "--by", "group", ...RANGE, "--format", "json"],
      envFor("auto", { HOME_USAGE_MIN_GROUP_SIZE: "1" }),
    );
    expect(all.code, all.stderr).toBe(0);
    const rows = JSON.parse(all.stdout);
    expect(rows).toEqual(expected(false, 1));
    // The demo's shape: nested teams, an inactive group that never shows, people without an account.
    expect(rows.some((r: { group: string }) => r.group === "legacy-reporting")).toBe(false);
    const w = (group: string) =>
      rows.find((r: { period: string; group: string }) => r.period === "2026-W24" && r.group === group);
    expect(w("sales").user).toBeGreaterThanOrEqual(w("sales-north").user);
    expect(w("(no account)").user).toBeGreaterThan(0);
    expect(w("(none)").user).toBeGreaterThan(0);
  }, 30_000);

  it("suppresses groups under HOME_USAGE_MIN_GROUP_SIZE (default 5) in JSON, CSV and the table", async () => {
    const rows = expected(false, 5);
    expect(rows.some((r) => r.suppressed)).toBe(true);
    const json = await run(["report", "--by", "group", ...RANGE, "--format", "json"], envFor("auto"));
    expect(JSON.parse(json.stdout)).toEqual(rows);
    const csv = await run(["report", "--by", "group", ...RANGE, "--format", "csv"], envFor("auto"));
    expect(csv.stdout.trim().split("\n")).toEqual([
      "timestamp,period,group,user,logins,suppressed",
      ...rows.map((r) => [r.timestamp, r.period, r.group, r.user ?? "", r.logins ?? "", r.suppressed].join(",")),
    ]);
    const table = await run(["report", "--by", "group", ...RANGE], envFor("auto"));
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]?.split(/\s+/)).toEqual(["timestamp", "period", "group", "user", "logins", "suppressed"]);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual(
      rows.map((r) =>
        r.suppressed
          ? [r.timestamp, r.period, r.group, "yes"]
          : [r.timestamp, r.period, r.group, String(r.user), String(r.logins), "no"],
      ),
    );
    expect(table.stderr).toMatch(/groups of 1 to 4 people suppressed/);
  }, 30_000);

  it("counts access-log activity with the activity preset, and more people than auto", async () => {
    const done = await run(
      ["report", "--by", "group", ...RANGE, "--format", "json"],
      envFor("activity", { HOME_USAGE_MIN_GROUP_SIZE: "1" }),
    );
    expect(done.code, done.stderr).toBe(0);
    const rows = JSON.parse(done.stdout);
    expect(rows).toEqual(expected(true, 1));
    const total = (rs: { user: number | null }[]) => rs.reduce((sum, r) => sum + (r.user ?? 0), 0);
    expect(total(rows)).toBeGreaterThan(total(expected(false, 1)));
  }, 30_000);

  it("plots the groups and signs embed URLs that carry metric=groups", async () => {
    const dir = await mkdtemp(join(tmpdir(), "home-usage-groups-"));
    const plot = await run(["plot", ...RANGE, "--metric", "groups", "--out", join(dir, "g.svg")], envFor("auto"));
    expect(plot.code, plot.stderr).toBe(0);
    const svg = await readFile(join(dir, "g.svg"), "utf8");
    expect(svg).toContain("Distinct people by group per week");
    const secret = "embed-secret-for-tests-0123456789";
    const url = await run(
      ["embed-url", ...RANGE, "--metric", "groups", "--base-url", "https://usage.example.com"],
      envFor("auto", { HOME_USAGE_EMBED_SECRET: secret }),
    );
    const token = /embed\/(.+)\.svg$/.exec(url.stdout.trim())?.[1] ?? "";
    expect(verifyEmbedToken(token, { secret, now: new Date(NOW) })).toMatchObject({ metric: "groups" });
  }, 60_000);

  it.each([
    [["report", "--by", "team"], "5", /^home-usage: option '--by <what>' argument 'team' is invalid/],
    [["report", "--by", "group", "--metric", "users"], "5", /^home-usage: --metric: not with --by group/],
    [["report", "--metric", "groups"], "5", /^home-usage: --metric: groups is a report of its own: use --by group/],
    [["report", "--by", "group"], "0", /HOME_USAGE_MIN_GROUP_SIZE: "0" must be a whole number from 1/],
  ])("refuses %j in one line, exit 2", async (args, k, message) => {
    const done = await run(args, envFor("auto", { HOME_USAGE_MIN_GROUP_SIZE: k }));
    expect(done.code).toBe(2);
    expect(done.stderr).toMatch(message);
    expect(done.stderr.trim().split("\n")).toHaveLength(1);
  });
});
