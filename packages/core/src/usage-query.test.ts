import { randomBytes } from "node:crypto";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
// The demo package depends on core, so core's tests reach its source directly rather than through a cycle.
import { demoLoginOf, writeDemoData } from "../../demo/src/index.js";
import { runAggregation } from "./aggregation.js";
import { loadConfig } from "./config.js";
import { PERIODS, type Period, periodKeys } from "./periods.js";
import type { RollupDay } from "./rollup.js";
import { parseUsageArguments } from "./usage-arguments.js";
import { uniqueUsers } from "./usage-query.js";

const t = useTestDatabase("usage_query");

async function setup(now: string, timezone = "UTC") {
  const id = randomBytes(3).toString("hex");
  const config = await loadConfig({
    env: {
      ...databaseEnv(t, id),
      HOME_USAGE_TIMEZONE: timezone,
      HOME_USAGE_NOW: now,
    },
  });
  const log = t.db.collection(`log_${id}`);
  const rollup = t.db.collection<RollupDay>(`login_${id}`);
  const aggregate = (start?: string, end?: string) =>
    runAggregation({
      client: t.client,
      config,
      start: start ? DateTime.fromISO(start, { zone: timezone }) : undefined,
      end: end ? DateTime.fromISO(end, { zone: timezone }) : undefined,
      host: "test",
      pid: process.pid,
    });
  const query = (args: { start?: string; end?: string; aggregate?: string }) => {
    const context = { zone: timezone, now: config.now as Date };
    return uniqueUsers(rollup, parseUsageArguments(args, context), context);
  };
  return { log, rollup, aggregate, query };
}

const login = (user: string, created: string) => ({ created: new Date(created), message: "successful login", user });

describe("uniqueUsers", () => {
  it("agrees with an independent count over the demo data for every aggregate", async () => {
    const s = await setup("2026-11-28T12:00:00Z");
    await writeDemoData(s.log, { days: 90, users: 30, seed: 11, end: new Date("2026-11-27T00:00:00Z") });
    await s.aggregate();
    // The independent count: every login record of the log, bucketed by period in TypeScript.
    const expected = new Map<Period, Map<string, { users: Set<string>; logins: number }>>(
      PERIODS.map((p) => [p, new Map()]),
    );
    for await (const r of s.log.find({})) {
      const user = demoLoginOf(r);
      if (user === null || user === "admin") continue;
      const keys = periodKeys(DateTime.fromJSDate(r.created as Date, { zone: "UTC" }));
      for (const period of PERIODS) {
        const bucket = expected.get(period) as Map<string, { users: Set<string>; logins: number }>;
        const entry = bucket.get(keys[period]) ?? { users: new Set(), logins: 0 };
        entry.users.add(user);
        entry.logins++;
        bucket.set(keys[period], entry);
      }
    }
    for (const aggregate of ["d", "w", "m", "q", "y"]) {
      const { rows } = await s.query({ start: "2026-07-01", end: "2026-11-29", aggregate });
      const period = PERIODS.find((p) => p[0] === aggregate) as Period;
      const want = [...(expected.get(period) as Map<string, { users: Set<string>; logins: number }>)]
        .filter(([label]) => label >= periodKeys(DateTime.fromISO("2026-07-01", { zone: "UTC" }))[period])
        .map(([label, e]) => ({ period: label, user: e.users.size, logins: e.logins }));
      const got = rows.filter((r) => r.logins > 0).map(({ period: p, user, logins }) => ({ period: p, user, logins }));
      expect(got, `aggregate ${aggregate}`).toEqual(want.sort((a, b) => (a.period < b.period ? -1 : 1)));
    }
  }, 120_000);

  it("counts a user active on Monday and Sunday of one ISO week once in that week", async () => {
    const s = await setup("2026-11-30T12:00:00Z");
    await s.log.insertMany([
      login("ann", "2026-11-23T08:00:00Z"), // Monday, W48
      login("ann", "2026-11-29T20:00:00Z"), // Sunday, W48
      login("bob", "2026-11-29T21:00:00Z"),
      login("ann", "2026-11-30T08:00:00Z"), // Monday, W49
    ]);
    await s.aggregate();
    const weeks = await s.query({ start: "2026-11-23", end: "2026-12-01", aggregate: "week" });
    expect(weeks.rows).toEqual([
      { timestamp: "2026-11-23T00:00:00.000Z", period: "2026-W48", user: 2, logins: 3, partial: false },
      { timestamp: "2026-11-30T00:00:00.000Z", period: "2026-W49", user: 1, logins: 1, partial: true },
    ]);
    const days = await s.query({ start: "2026-11-23", end: "2026-11-30", aggregate: "D" });
    expect(days.rows.map((r) => `${r.period}:${r.user}`)).toEqual([
      "2026-11-23:1",
      "2026-11-24:0",
      "2026-11-25:0",
      "2026-11-26:0",
      "2026-11-27:0",
      "2026-11-28:0",
      "2026-11-29:2",
    ]);
  });

  it("zero-fills processed periods, leaves out unprocessed ones, and marks partial periods", async () => {
    const s = await setup("2026-11-18T12:00:00Z");
    await s.log.insertMany([login("ann", "2026-09-15T08:00:00Z"), login("bob", "2026-11-17T08:00:00Z")]);
    // Process September whole and November from the 10th; October stays unprocessed.
    await s.aggregate("2026-09-01", "2026-09-30");
    await s.aggregate("2026-11-10");
    const months = await s.query({ start: "2026-09-01", end: "2026-11-18T12:00:00Z", aggregate: "month" });
    expect(months.rows).toEqual([
      { timestamp: "2026-09-01T00:00:00.000Z", period: "2026-09", user: 1, logins: 1, partial: false },
      // November: the job has not processed its first nine days, the range cuts it, and it contains now.
      { timestamp: "2026-11-01T00:00:00.000Z", period: "2026-11", user: 1, logins: 1, partial: true },
    ]);
    expect(months.missing).toEqual(["2026-10"]);
    const days = await s.query({ start: "2026-11-10", end: "2026-11-13", aggregate: "day" });
    expect(days.rows.map((r) => [r.period, r.user, r.partial])).toEqual([
      ["2026-11-10", 0, false],
      ["2026-11-11", 0, false],
      ["2026-11-12", 0, false],
    ]);
    // A quarter cut by the range start is partial even when every day in range is processed.
    const quarter = await s.query({ start: "2026-09-01", end: "2026-10-01", aggregate: "q" });
    expect(quarter.rows).toEqual([
      { timestamp: "2026-07-01T00:00:00.000Z", period: "2026-Q3", user: 1, logins: 1, partial: true },
    ]);
  });

  it("starts periods at local midnight in the configured zone", async () => {
    const s = await setup("2026-11-18T12:00:00Z", "Europe/Berlin");
    await s.log.insertMany([login("ann", "2026-10-31T23:30:00Z"), login("bob", "2026-10-31T22:30:00Z")]);
    await s.aggregate("2026-10-30", "2026-11-02");
    const months = await s.query({ start: "2026-10-01", end: "2026-11-03", aggregate: "month" });
    expect(months.rows.map((r) => [r.timestamp, r.period, r.user])).toEqual([
      // Both logged in on 31 October UTC; ann's 23:30Z is already 1 November in Berlin.
      ["2026-10-01T00:00:00.000+02:00", "2026-10", 1],
      ["2026-11-01T00:00:00.000+01:00", "2026-11", 1],
    ]);
  });
});

describe("parseUsageArguments", () => {
  const context = { zone: "UTC", now: new Date("2026-11-28T10:00:00Z") };
  it("defaults to weeks over the 90 days before now", () => {
    const q = parseUsageArguments({}, context);
    expect(q.aggregate).toBe("week");
    expect(q.end.toISO()).toBe("2026-11-28T10:00:00.000Z");
    expect(q.start.toISO()).toBe("2026-08-30T00:00:00.000Z");
  });

  it.each([
    ["d", "day"],
    ["WEEK", "week"],
    ["MS", "month"],
    ["me", "month"],
    ["QS", "quarter"],
    ["A", "year"],
    ["ye", "year"],
  ])("reads aggregate %s as %s", (input, period) => {
    expect(parseUsageArguments({ aggregate: input }, context).aggregate).toBe(period);
  });

  it.each([
    [{ aggregate: "fortnight" }, 'aggregate: unknown "fortnight"'],
    [{ start: { $gt: "" } }, "start: must be a string, got an object"],
    [{ end: ["2026-01-01"] }, "end: must be a string, got a list"],
    [{ start: "2026-11-10", end: "2026-11-01" }, "end: 2026-11-01T00:00:00.000Z is not after start"],
    [{ start: "2000-01-01", end: "2026-01-01" }, "end: the range may span at most 20 years"],
    [{ start: "yesterdayish" }, 'start: cannot read "yesterdayish"'],
  ])("refuses %j", (args, message) => {
    expect(() => parseUsageArguments(args, context)).toThrow(message);
  });
});
