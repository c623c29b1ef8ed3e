import { randomBytes } from "node:crypto";
import { DateTime } from "luxon";
import { ObjectId } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { databaseEnv, useTestDatabase } from "../../../../tools/test/database.js";
import { runAggregation } from "../job/aggregation.js";
import { type HomeUsageConfig, loadConfig } from "../settings/config.js";
import { createUsageService } from "./usage-service.js";

const t = useTestDatabase("group_report");
const NOW = "2026-11-30T12:00:00Z";

const id = {
  sales: new ObjectId("660000000000000000000001"),
  north: new ObjectId("660000000000000000000002"),
  ops: new ObjectId("660000000000000000000003"),
  retired: new ObjectId("660000000000000000000004"),
  underRetired: new ObjectId("660000000000000000000005"),
  loopA: new ObjectId("660000000000000000000006"),
  loopB: new ObjectId("660000000000000000000007"),
  idle: new ObjectId("660000000000000000000008"),
};

/** core4's sys.role: groups (no email) and accounts, as the cases the issue names. */
const ROLES = [
  { _id: id.sales, name: "sales", is_active: true, role: [] },
  { _id: id.north, name: "sales-north", is_active: true, role: [id.sales] },
  { _id: id.ops, name: "ops", is_active: true, role: [] },
  { _id: id.retired, name: "retired", is_active: false, role: [id.underRetired] },
  { _id: id.underRetired, name: "under-retired", is_active: true, role: [] },
  { _id: id.loopA, name: "loop-a", is_active: true, role: [id.loopB] },
  { _id: id.loopB, name: "loop-b", is_active: true, role: [id.loopA] },
  { _id: id.idle, name: "idle-team", is_active: true, role: [] },
  // Nested: ann is in sales-north, so in sales too.
  { name: "ann", email: "ann@example.com", is_active: true, role: [id.north] },
  // Inactive: retired gives nothing, not even what it inherits.
  { name: "bob", email: "bob@example.com", is_active: true, role: [id.retired] },
  // A cycle ends.
  { name: "cid", email: "cid@example.com", is_active: true, role: [id.loopA] },
  // By name instead of ObjectId.
  { name: "dee", email: "dee@example.com", is_active: true, role: ["sales"] },
  // No group at all.
  { name: "eve", email: "eve@example.com", is_active: true, role: [] },
  // Two groups: counts in both (and in sales through sales-north).
  { name: "fay", email: "fay@example.com", is_active: true, role: [id.north, id.ops] },
  { name: "gus", email: "gus@example.com", is_active: true, role: [id.ops] },
  { name: "hal", email: "hal@example.com", is_active: true, role: [id.north] },
  // zed logs in but has no account. Four small teams of one person each, so the chart has more than 8.
  ...[1, 2, 3, 4].flatMap((n) => {
    const team = new ObjectId(`66000000000000000000010${n}`);
    return [
      { _id: team, name: `team-${n}`, is_active: true, role: [] },
      { name: `p${n}`, email: `p${n}@example.com`, is_active: true, role: [team] },
    ];
  }),
];

/** [user, instant]: three ISO weeks, W45 to W47 of 2026, and an admin who is no person. */
const LOGINS: [string, string][] = [
  ["ann", "2026-11-02T08:00:00Z"], // Monday W45
  ["bob", "2026-11-03T08:00:00Z"],
  ["zed", "2026-11-03T09:00:00Z"],
  ["cid", "2026-11-05T10:00:00Z"], // Thursday W45
  ["fay", "2026-11-06T10:00:00Z"],
  ["fay", "2026-11-06T11:00:00Z"],
  ["ann", "2026-11-09T08:00:00Z"], // W46
  ["dee", "2026-11-10T08:00:00Z"],
  ["eve", "2026-11-11T08:00:00Z"],
  ["gus", "2026-11-12T08:00:00Z"],
  ["hal", "2026-11-13T08:00:00Z"],
  ["fay", "2026-11-14T08:00:00Z"],
  ["admin", "2026-11-14T09:00:00Z"],
  ["p1", "2026-11-12T09:00:00Z"],
  ["p2", "2026-11-12T09:00:00Z"],
  ["p3", "2026-11-13T09:00:00Z"],
  ["p4", "2026-11-13T09:00:00Z"],
  ["ann", "2026-11-16T08:00:00Z"], // W47
  ["zed", "2026-11-17T08:00:00Z"],
  ["bob", "2026-11-18T08:00:00Z"],
  ["hal", "2026-11-20T08:00:00Z"], // Friday W47
  ["dee", "2026-11-21T08:00:00Z"],
];

let config: HomeUsageConfig;
let env: Record<string, string>;

beforeAll(async () => {
  const suffix = randomBytes(3).toString("hex");
  env = { ...databaseEnv(t, suffix), HOME_USAGE_NOW: NOW, HOME_USAGE_ROLES: `${t.name}.role_${suffix}` };
  config = await loadConfig({ env });
  await t.db
    .collection(`log_${suffix}`)
    .insertMany(LOGINS.map(([user, at]) => ({ created: new Date(at), message: "successful login", user })));
  await t.db.collection(`role_${suffix}`).insertMany(ROLES.map((r) => ({ ...r })));
  await runAggregation({ client: t.client, config, host: "test", pid: process.pid });
});

// The independent answer, from LOGINS and ROLES alone: a plain walk of the role lists.
const hex = (ref: unknown) => (ref instanceof ObjectId ? ref.toHexString() : undefined);
function groupsOf(user: string): string[] {
  const account = ROLES.find((r) => r.name === user && "email" in r);
  if (!account) return ["(no account)"];
  const found: string[] = [];
  const visited = new Set<object>();
  const queue = [...account.role];
  while (queue.length) {
    const ref = queue.shift();
    const role = ROLES.find((r) => (hex(ref) ? hex(r._id) === hex(ref) : r.name === ref));
    if (!role || visited.has(role)) continue;
    visited.add(role);
    if (role.is_active === false) continue;
    if (!("email" in role)) found.push(role.name);
    queue.push(...role.role);
  }
  return found.length ? found : ["(none)"];
}
const GROUPS = [
  ...ROLES.filter((r) => !("email" in r) && r.is_active)
    .map((r) => r.name)
    .sort(),
  "(none)",
  "(no account)",
];

/** Every week of [first, last] with every group, counted from the logins of the days in [from, to). */
function expected(weeks: string[], from: string, to: string, k: number) {
  return weeks.flatMap((week) => {
    const start = DateTime.fromISO(week, { zone: "UTC" });
    const [first, end] = [start.toISODate() as string, start.plus({ weeks: 1 }).toISODate() as string];
    const inWeek = LOGINS.filter(([user, at]) => {
      const day = at.slice(0, 10);
      return user !== "admin" && day >= first && day < end && day >= from && day < to;
    });
    return GROUPS.map((group) => {
      const mine = inWeek.filter(([user]) => groupsOf(user).includes(group));
      const user = new Set(mine.map(([u]) => u)).size;
      const suppressed = user > 0 && user < k;
      return {
        timestamp: start.toISO(),
        end: start.plus({ weeks: 1 }).toISO(),
        period: start.toFormat("kkkk-'W'WW"),
        group,
        user: suppressed ? null : user,
        logins: suppressed ? null : mine.length,
        suppressed,
      };
    });
  });
}

const groups = async (args: { start?: string; end?: string; aggregate?: string }, k: number) => {
  const service = createUsageService({ client: t.client, config: { ...config, minGroupSize: k } });
  return (await service.groups(args, new Date(NOW))).report;
};

describe("distinct people per core4 group", () => {
  it("counts each person in every group reached: nested, by name, through a cycle; not through an inactive group", async () => {
    // Some facts the expectations rest on, spelled out.
    expect(groupsOf("ann").sort()).toEqual(["sales", "sales-north"]);
    expect(groupsOf("bob")).toEqual(["(none)"]);
    expect(groupsOf("cid").sort()).toEqual(["loop-a", "loop-b"]);
    expect(groupsOf("dee")).toEqual(["sales"]);
    expect(groupsOf("zed")).toEqual(["(no account)"]);

    const report = await groups({ start: "2026-11-02", end: "2026-11-23" }, 1);
    expect(report.rows).toEqual(expected(["2026-11-02", "2026-11-09", "2026-11-16"], "2026-11-02", "2026-11-23", 1));
    const w46 = (group: string) => report.rows.find((r) => r.period === "2026-W46" && r.group === group);
    // ann, dee, fay, hal: sales-north's three and dee by name. Groups overlap: they add up to more than 6.
    expect(w46("sales")).toMatchObject({ user: 4, logins: 4 });
    expect(w46("idle-team")).toMatchObject({ user: 0, logins: 0, suppressed: false });
    expect(report.rows.some((r) => r.group === "retired")).toBe(false);
    expect(report.missing).toEqual([]);
  });

  it("counts the part of a period the range cuts, as /raw does", async () => {
    // Thursday of W45 to Friday of W47 (exclusive): W45 from Thursday, W47 up to Thursday.
    const report = await groups({ start: "2026-11-05", end: "2026-11-20" }, 1);
    expect(report.rows).toEqual(expected(["2026-11-02", "2026-11-09", "2026-11-16"], "2026-11-05", "2026-11-20", 1));
    const w45 = (group: string) => report.rows.find((r) => r.period === "2026-W45" && r.group === group);
    expect(w45("(no account)")?.user).toBe(0);
    expect(w45("loop-a")?.user).toBe(1);
  });

  it("suppresses groups of 1 to k−1 people, leaving empty ones at 0", async () => {
    const report = await groups({ start: "2026-11-02", end: "2026-11-23", aggregate: "w" }, 3);
    expect(report.rows).toEqual(expected(["2026-11-02", "2026-11-09", "2026-11-16"], "2026-11-02", "2026-11-23", 3));
    expect(report.rows.filter((r) => r.suppressed).length).toBeGreaterThan(3);
    for (const row of report.rows.filter((r) => r.suppressed)) expect(row).toMatchObject({ user: null, logins: null });
    // The chart never shows what the table hides.
    for (const line of report.lines) expect(line.user === null || line.user >= 3 || line.user === 0).toBe(true);
  });

  it("draws the largest groups of the range, at most 8, and the others as one line", async () => {
    const report = await groups({ start: "2026-11-02", end: "2026-11-23" }, 1);
    const lines = [...new Set(report.lines.map((l) => l.group))];
    const size = (g: string) =>
      new Set(LOGINS.filter(([u, at]) => u !== "admin" && at < "2026-11-23" && groupsOf(u).includes(g)).map(([u]) => u))
        .size;
    // Eleven groups have people in the range: the eight largest, then other.
    expect(GROUPS.filter((g) => size(g) > 0)).toHaveLength(11);
    const ranked = GROUPS.filter((g) => size(g) > 0).sort((a, b) => size(b) - size(a) || (a < b ? -1 : 1));
    expect(lines).toEqual([...ranked.slice(0, 8), "other"]);
    const rest = ranked.slice(8);
    for (const week of ["2026-W45", "2026-W46", "2026-W47"]) {
      const other = report.lines.find((l) => l.period === week && l.group === "other");
      const start = DateTime.fromFormat(week, "kkkk-'W'WW", { zone: "UTC" });
      const people = LOGINS.filter(
        ([u, at]) =>
          u !== "admin" &&
          at >= (start.toISO() as string) &&
          at < (start.plus({ weeks: 1 }).toISO() as string) &&
          groupsOf(u).some((g) => rest.includes(g)),
      );
      expect(other?.user).toBe(new Set(people.map(([u]) => u)).size);
    }
  });

  it("refuses a range of more periods than twenty years of weeks, as a usage error", async () => {
    await expect(groups({ start: "2023-01-01", end: "2026-11-30", aggregate: "d" }, 1)).rejects.toMatchObject({
      code: "E_USAGE",
      message: expect.stringMatching(
        /^aggregate: a groups report reads the people of each period, at most 1100; this range has 1429 days/,
      ),
    });
    // Twenty years of months is fine (the longest range any report takes).
    const months = await groups({ start: "2006-12-01", end: "2026-11-30", aggregate: "m" }, 1);
    expect(months.missing).toHaveLength(239);
    expect(new Set(months.rows.map((r) => r.period))).toEqual(new Set(["2026-11"]));
  });

  it("leaves out periods without a processed day, and reads today's sys.role", async () => {
    const report = await groups({ start: "2026-10-19", end: "2026-11-09" }, 1);
    expect(report.missing).toEqual(["2026-W43", "2026-W44"]);
    expect(report.rows.every((r) => r.period === "2026-W45")).toBe(true);
    // Moved to ops today: counted there for the past weeks too.
    const roles = t.client.db(config.roles.db).collection(config.roles.collection);
    await roles.updateOne({ name: "ann" }, { $set: { role: [id.ops] } });
    try {
      const moved = await groups({ start: "2026-11-02", end: "2026-11-09" }, 1);
      expect(moved.rows.find((r) => r.group === "ops")?.user).toBe(2);
      expect(moved.rows.find((r) => r.group === "sales-north")?.user).toBe(1);
    } finally {
      await roles.updateOne({ name: "ann" }, { $set: { role: [id.north] } });
    }
  });
});
