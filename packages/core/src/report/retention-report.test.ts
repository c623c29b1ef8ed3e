import { randomBytes } from "node:crypto";
import { type CommandStartedEvent, MongoClient } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { databaseEnv, useTestDatabase } from "../../../../tools/test/database.js";
import type { Login } from "../../../../tools/test/oracle.js";
import { seededRandom } from "../../../../tools/test/random.js";
import { comparableRetention, retentionOracle } from "../../../../tools/test/retention-oracle.js";
import { runAggregation } from "../job/aggregation.js";
import { type HomeUsageConfig, loadConfig } from "../settings/config.js";
import { parseRetentionArguments } from "./retention-arguments.js";
import { createUsageService } from "./usage-service.js";

const t = useTestDatabase("retention");
const ZONE = "Europe/Berlin";
const NOW = "2027-03-10T15:00:00Z";
// The rollup's first day is a Wednesday in the middle of March 2025: its first week and month are cut.
const FIRST = "2025-03-12";
const LAST = "2027-03-10";
let config: HomeUsageConfig;
let id: string;

/**
 * Two years of logins: 30 people who join at random times and drift away at different rates, and a few
 * on purpose: one who skips months and comes back, first logins just after local midnight across both
 * DST changes (a UTC reading would put them in another week or month), and first logins in 2026-W53.
 */
function generateLogins(): Login[] {
  const next = seededRandom(19);
  const logins: Login[] = [];
  const start = new Date(`${FIRST}T00:00:00Z`).getTime();
  const days = Math.round((new Date(`${LAST}T00:00:00Z`).getTime() - start) / 86_400_000) + 1;
  for (let p = 0; p < 30; p++) {
    const joins = p < 4 ? 0 : Math.floor(next() * days);
    const rate = 0.05 + next() * 0.4;
    const fade = 0.002 + next() * 0.01;
    for (let d = joins; d < days; d++) {
      if (next() < rate * Math.exp(-fade * (d - joins)) || d === joins) {
        const at = start + d * 86_400_000 + Math.floor(next() * 86_400_000);
        logins.push({ user: `p${String(p).padStart(2, "0")}`, created: new Date(at) });
      }
    }
  }
  const add = (user: string, ...instants: string[]) => {
    for (const i of instants) logins.push({ user, created: new Date(i) });
  };
  // Comes in January 2026, stays away February to April, comes back in May and in December.
  add("gap.user", "2026-01-14T09:00:00Z", "2026-01-21T09:00:00Z", "2026-05-06T09:00:00Z", "2026-12-09T09:00:00Z");
  // 00:30 CEST on Monday 30 March 2026, the day after the spring change: W14 in Berlin, W13 in UTC.
  add("spring.user", "2026-03-29T22:30:00Z", "2026-04-08T09:00:00Z", "2026-05-20T09:00:00Z");
  // 00:30 CET on 1 November 2026, after the autumn change: November in Berlin, October in UTC.
  add("autumn.user", "2026-10-31T23:30:00Z", "2026-12-02T09:00:00Z");
  // 00:30 CET on 1 January 2027: January and 2026-W53 in Berlin, December in UTC.
  add("newyear.user", "2026-12-31T23:30:00Z", "2027-01-05T09:00:00Z", "2027-02-15T09:00:00Z");
  // Saturday 2 January 2027: still ISO week 2026-W53.
  add("w53.user", "2027-01-02T10:00:00Z", "2027-01-11T10:00:00Z");
  return logins;
}

const logins = generateLogins();

beforeAll(async () => {
  id = randomBytes(3).toString("hex");
  config = await loadConfig({ env: { ...databaseEnv(t, id), HOME_USAGE_TIMEZONE: ZONE, HOME_USAGE_NOW: NOW } });
  await t.db
    .collection(`log_${id}`)
    .insertMany(logins.map((l) => ({ created: l.created, message: "successful login", user: l.user })));
  const result = await runAggregation({ client: t.client, config, host: "test", pid: process.pid });
  expect(result).toMatchObject({ first: FIRST, last: LAST });
}, 240_000);

const retention = (args: Record<string, unknown>, now = NOW, client = t.client) =>
  createUsageService({ client, config }).retention(args, new Date(now));

const expected = (kind: "week" | "month", start: string, end: string, periods: number, now = NOW) =>
  retentionOracle(logins, { zone: ZONE, first: FIRST, last: LAST, kind, start, end, periods, now });

describe("readRetention", () => {
  it("agrees with an independent count from the log for monthly cohorts over two years", async () => {
    // From before the first processed day (empty cohorts) to after now (cohorts that have not started).
    const { report } = await retention({ cohort: "month", start: "2025-01-01", end: "2027-06-01", periods: 24 });
    const want = expected("month", "2025-01-01", "2027-06-01", 24);
    expect(want.length).toBeGreaterThan(300);
    expect(comparableRetention(report.rows)).toEqual(want);
    // Every person is in exactly one cohort.
    expect(report.cohorts.reduce((sum, c) => sum + c.size, 0)).toBe(new Set(logins.map((l) => l.user)).size);
    // The first processed month is cut by the rollup's start, the last by now: both partial, though the
    // first has ended.
    const at = (cohort: string, k: number) => report.rows.find((r) => r.cohort === cohort && r.k === k);
    expect(at("2025-03", 0)).toMatchObject({ partial: true, cohortStart: "2025-03-01T00:00:00.000+01:00" });
    expect(at("2025-03", 1)).toMatchObject({ period: "2025-04", partial: false });
    expect(at("2027-03", 0)).toMatchObject({ partial: true });
    expect(report.rows.some((r) => r.period === "2027-04")).toBe(false);
  });

  it("agrees with it for weekly cohorts, across both DST changes and ISO week 2026-W53", async () => {
    const { report } = await retention({ cohort: "w", start: "2025-03-01", end: "2027-03-11", periods: 52 });
    expect(comparableRetention(report.rows)).toEqual(expected("week", "2025-03-01", "2027-03-11", 52));
    const w53 = report.rows.filter((r) => r.cohort === "2026-W53");
    expect(w53[0]).toMatchObject({ k: 0, period: "2026-W53", cohortStart: "2026-12-28T00:00:00.000+01:00" });
    expect(w53[1]).toMatchObject({ k: 1, period: "2027-W01" });
    expect(report.rows.find((r) => r.cohort === "2026-W14")?.cohortStart).toBe("2026-03-30T00:00:00.000+02:00");
  });

  it("follows a person who skips periods and comes back", async () => {
    const { report } = await retention({ cohort: "month", start: "2026-01-01", end: "2026-02-01", periods: 12 });
    const solo = expected("month", "2026-01-01", "2026-02-01", 12);
    expect(comparableRetention(report.rows)).toEqual(solo);
    // gap.user is in the January cohort and back in May and December, away in between.
    const january = logins.filter((l) => l.user !== "gap.user");
    const without = retentionOracle(january, {
      zone: ZONE,
      first: FIRST,
      last: LAST,
      kind: "month",
      start: "2026-01-01",
      end: "2026-02-01",
      periods: 12,
      now: NOW,
    });
    const difference = solo.map((row, i) => row.active - (without[i]?.active ?? 0));
    expect(difference).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0]);
  });

  it("defaults to the last 12 cohorts and 12 periods, and leaves out periods that have not started", async () => {
    const { query, report } = await retention({ cohort: "month" });
    expect(query.start.toISODate()).toBe("2026-04-01");
    expect(report.cohorts.map((c) => c.cohort)).toEqual([
      "2026-04",
      "2026-05",
      "2026-06",
      "2026-07",
      "2026-08",
      "2026-09",
      "2026-10",
      "2026-11",
      "2026-12",
      "2027-01",
      "2027-02",
      "2027-03",
    ]);
    expect(comparableRetention(report.rows)).toEqual(expected("month", "2026-04-01", NOW, 12));
    const weekly = await retention({ cohort: "week" });
    expect(weekly.report.cohorts).toHaveLength(12);
    expect(weekly.report.cohorts[0]?.cohort).toBe("2026-W52");
    expect(comparableRetention(weekly.report.rows)).toEqual(expected("week", "2026-12-21", NOW, 12));
  });

  it("marks periods after the last processed day partial, with nobody in them", async () => {
    // The job last ran on 10 March; two weeks later its days since are unprocessed.
    const later = "2027-03-24T12:00:00Z";
    const { report } = await retention({ cohort: "week", start: "2027-01-04", periods: 10 }, later);
    expect(comparableRetention(report.rows)).toEqual(expected("week", "2027-01-04", later, 10, later));
    expect(report.rows.find((r) => r.cohort === "2027-W12" && r.k === 0)).toMatchObject({
      size: 0,
      active: 0,
      share: 0,
      partial: true,
    });
  });

  it("looks up each period's people once by _id, shared between cohorts, and never reads the log", async () => {
    const monitored = new MongoClient(t.uri, { monitorCommands: true });
    const commands: CommandStartedEvent[] = [];
    monitored.on("commandStarted", (event) => commands.push(event));
    try {
      await monitored.connect();
      const { report } = await retention(
        { cohort: "month", start: "2025-01-01", end: "2026-01-01", periods: 12 },
        NOW,
        monitored,
      );
      const reads = commands.filter((c) => c.commandName !== "hello" && c.commandName !== "ping");
      expect(reads.every((c) => c.commandName === "find")).toBe(true);
      const target = reads.filter((c) => c.command.find === `login_${id}`);
      const ids = target.map((c) => c.command.filter?._id);
      // 12 cohorts and 12 periods after the last: 2025-01 to 2026-12, of which the rollup can hold
      // 2025-03 onwards (it starts on 12 March 2025), each read once.
      const shown = new Set(report.rows.flatMap((r) => [r.cohort, r.period]));
      expect(shown.size).toBe(24);
      expect([...ids].sort()).toEqual([...shown].filter((label) => label >= "2025-03").sort());
      expect(new Set(ids).size).toBe(ids.length);
      expect(report.lookups).toBe(22);
      expect(reads.filter((c) => c.command.find !== `login_${id}`).map((c) => c.command.filter?._id)).toEqual([
        "settings",
      ]);
    } finally {
      await monitored.close();
    }
  });
});

describe("parseRetentionArguments", () => {
  const context = { zone: ZONE, now: new Date(NOW) };
  it.each([
    [{ cohort: "d" }, 'cohort: unknown "d" (use w, week, m or month)'],
    [{ cohort: "quarter" }, 'cohort: unknown "quarter" (use w, week, m or month)'],
    [{ cohort: "W" }, 'cohort: unknown "W" (use w, week, m or month)'],
    [{ cohort: ["w"] }, "cohort: must be a string"],
    [{ periods: "0" }, "periods: must be a whole number from 1 to 52"],
    [{ periods: "53" }, "periods: must be a whole number from 1 to 52"],
    [{ periods: "1.5" }, "periods: must be a whole number from 1 to 52"],
    [{ periods: 2.5 }, "periods: must be a whole number from 1 to 52"],
    [{ periods: "-1" }, "periods: must be a whole number from 1 to 52"],
    [
      { start: "2026-05-01", end: "2026-04-01" },
      "end: 2026-04-01 is not after start 2026-05-01; swap them, or give a later end",
    ],
    [{ start: "yesterday-ish" }, 'start: cannot read "yesterday-ish" as a date'],
  ])("refuses %j", (args, message) => {
    expect(() => parseRetentionArguments(args, context)).toThrow(message);
  });

  it("takes w, week, m and month, and periods from 1 to 52 as text or number", () => {
    expect(parseRetentionArguments({ cohort: "w", periods: "1" }, context)).toMatchObject({
      cohort: "week",
      periods: 1,
    });
    expect(parseRetentionArguments({ cohort: "month", periods: 52 }, context)).toMatchObject({
      cohort: "month",
      periods: 52,
    });
  });
});
