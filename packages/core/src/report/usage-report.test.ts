import { randomBytes } from "node:crypto";
import { MongoClient } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { databaseEnv, useTestDatabase } from "../../../../tools/test/database.js";
import { type Login, type OracleRow, oracle } from "../../../../tools/test/oracle.js";
import { runAggregation } from "../job/aggregation.js";
import { type HomeUsageConfig, loadConfig } from "../settings/config.js";
import { formatReport } from "./report-format.js";
import type { UsageRow } from "./usage-report.js";
import { createUsageService } from "./usage-service.js";
import { metricColumns } from "./vocabulary.js";

const t = useTestDatabase("usage_report");
const NOW = "2026-12-10T12:00:00Z";
const ZONE = "Europe/Berlin";
let config: HomeUsageConfig;
let env: Record<string, string | undefined>;

/** Logins from 2026-09-01 to 2026-12-10: ann every Monday, bob on odd days, cid once a month, dan twice. */
const logins: Login[] = [];
for (let d = new Date("2026-09-01T09:30:00Z"); d <= new Date(NOW); d = new Date(d.getTime() + 86_400_000)) {
  if (d.getUTCDay() === 1) logins.push({ user: "ann", created: d });
  if (d.getUTCDate() % 2 === 1) logins.push({ user: "bob", created: new Date(d.getTime() + 3_600_000) });
  if (d.getUTCDate() === 15) logins.push({ user: "cid", created: new Date(d.getTime() + 60_000) });
}
logins.push({ user: "dan", created: new Date("2026-09-02T22:30:00Z") }); // Berlin: the 3rd, after midnight
logins.push({ user: "dan", created: new Date("2026-10-25T22:30:00Z") }); // after the change to winter time

beforeAll(async () => {
  const id = randomBytes(3).toString("hex");
  env = { ...databaseEnv(t, id), HOME_USAGE_TIMEZONE: ZONE, HOME_USAGE_NOW: NOW };
  config = await loadConfig({ env });
  await t.db
    .collection(`log_${id}`)
    .insertMany(logins.map((l) => ({ created: l.created, message: "successful login", user: l.user })));
  await runAggregation({ client: t.client, config, host: "test", pid: process.pid });
});

const report = (args: { start?: string; end?: string; aggregate?: string }, c = config) =>
  createUsageService({ client: t.client, config: c }).report(args, new Date(NOW));

const pick = (rows: readonly Pick<UsageRow, keyof OracleRow & keyof UsageRow>[]) =>
  rows.map(({ period, user, logins, previous, new: n, returning, resurrected, dormant }) => ({
    period,
    user,
    logins,
    previous,
    new: n,
    returning,
    resurrected,
    dormant,
  }));

describe("readUsage", () => {
  it("computes a period cut by the range over its part inside the range, and marks it partial", async () => {
    // 2026-10-07 is a Wednesday, 2026-11-19 a Thursday: both weeks and both months are cut.
    const { report: weekly } = await report({ start: "2026-10-07", end: "2026-11-19", aggregate: "week" });
    const part = { first: "2026-10-07", last: "2026-11-18" };
    const base = { zone: ZONE, first: "2026-09-01", last: "2026-12-10", part };
    expect(weekly.rows.map((r) => r.period)).toEqual([
      "2026-W41",
      "2026-W42",
      "2026-W43",
      "2026-W44",
      "2026-W45",
      "2026-W46",
      "2026-W47",
    ]);
    expect(pick(weekly.rows)).toEqual(pick(oracle(logins, { ...base, kind: "week" })));
    expect(weekly.rows.map((r) => r.partial)).toEqual(
      weekly.rows.map((_, i) => i === 0 || i === weekly.rows.length - 1),
    );
    const { report: monthly } = await report({ start: "2026-10-07", end: "2026-11-19", aggregate: "month" });
    expect(pick(monthly.rows)).toEqual(pick(oracle(logins, { ...base, kind: "month" })));
    expect(monthly.rows[0]).toMatchObject({ period: "2026-10", days: 25, partial: true });
    const { report: yearly } = await report({ start: "2026-10-07", end: "2026-11-19", aggregate: "year" });
    expect(pick(yearly.rows)).toEqual(pick(oracle(logins, { ...base, kind: "year" })));
    expect(yearly.rows[0]).toMatchObject({ period: "2026", user: 4, partial: true });
  });

  it("defaults to the periods holding the last 90 days, the first one whole", async () => {
    const { query, report: r } = await report({ aggregate: "month" });
    expect(query.start.toISO()).toBe("2026-09-01T00:00:00.000+02:00");
    expect(r.rows.map((row) => [row.period, row.partial])).toEqual([
      ["2026-09", false],
      ["2026-10", false],
      ["2026-11", false],
      ["2026-12", true],
    ]);
  });

  it("gives each row its period's start and end in the rollup's zone, and publishes neither more nor less", async () => {
    // Berlin changes to winter time on 2026-10-25, a Sunday: W43 starts at +02:00 and ends at +01:00.
    const { report: weekly } = await report({ start: "2026-10-12", end: "2026-11-02", aggregate: "week" });
    expect(weekly.rows.map((r) => [r.period, r.timestamp, r.end])).toEqual([
      ["2026-W42", "2026-10-12T00:00:00.000+02:00", "2026-10-19T00:00:00.000+02:00"],
      ["2026-W43", "2026-10-19T00:00:00.000+02:00", "2026-10-26T00:00:00.000+01:00"],
      ["2026-W44", "2026-10-26T00:00:00.000+01:00", "2026-11-02T00:00:00.000+01:00"],
    ]);
    const { report: quarterly } = await report({ start: "2026-09-01", end: "2026-12-10", aggregate: "quarter" });
    expect(quarterly.rows.map((r) => [r.period, r.timestamp, r.end])).toEqual([
      ["2026-Q3", "2026-07-01T00:00:00.000+02:00", "2026-10-01T00:00:00.000+02:00"],
      ["2026-Q4", "2026-10-01T00:00:00.000+02:00", "2027-01-01T00:00:00.000+01:00"],
    ]);
    // The end is for charts and the page: the formats show the contract's columns, as before.
    const json = JSON.parse(formatReport(weekly.rows, "json"));
    const header =
      "timestamp,period,user,logins,partial,previous,new,returning,resurrected,dormant,dailyAverage,stickiness,days,unprocessedDays";
    expect(Object.keys(json[0]).join(",")).toBe(header);
    expect(formatReport(weekly.rows, "csv").split("\n")[0]).toBe(header);
    expect(JSON.parse(formatReport(weekly.rows, "json", metricColumns("new")))[0]).toEqual({
      timestamp: "2026-10-12T00:00:00.000+02:00",
      period: "2026-W42",
      partial: false,
      new: expect.any(Number),
    });
  });

  it("answers in the rollup's zone when none is set, and refuses another zone set explicitly", async () => {
    const unset = await loadConfig({ env: { ...env, HOME_USAGE_TIMEZONE: undefined } });
    const { report: r } = await report({ start: "2026-09-03", end: "2026-09-04", aggregate: "day" }, unset);
    expect(r.timezone).toBe(ZONE);
    // dan's login at 22:30 UTC on the 2nd is on the 3rd in Berlin, where the rollup was built.
    expect(r.rows[0]).toMatchObject({ period: "2026-09-03", timestamp: "2026-09-03T00:00:00.000+02:00" });
    const utc = await loadConfig({ env: { ...env, HOME_USAGE_TIMEZONE: "UTC" } });
    await expect(report({ aggregate: "day" }, utc)).rejects.toMatchObject({
      code: "E_CONFLICT",
      message: expect.stringContaining("built in time zone Europe/Berlin, but the time zone is set to UTC"),
    });
  });

  it("names a damaged summary and how to rebuild it, instead of serving it", async () => {
    const id = randomBytes(3).toString("hex");
    const damaged = await loadConfig({ env: { ...databaseEnv(t, id), HOME_USAGE_NOW: NOW } });
    await t.db
      .collection(`log_${id}`)
      .insertOne({ created: new Date("2026-12-01T10:00:00Z"), message: "successful login", user: "ann" });
    await runAggregation({ client: t.client, config: damaged, host: "test", pid: process.pid });
    await t.db
      .collection<{ _id: string }>(`login_${id}_period`)
      .updateOne({ _id: "month:2026" }, { $set: { "periods.2026-12.logins": "abc" } });
    await expect(
      createUsageService({ client: t.client, config: damaged }).report({ aggregate: "month" }, new Date(NOW)),
    ).rejects.toMatchObject({
      code: "E_STATE",
      message: expect.stringMatching(
        /^the rollup's summary 2026-12 \(month:2026\) is damaged: logins .*expected number, received string; rebuild it with home-usage aggregate --start 2026-12-01$/,
      ),
    });
  });

  it("says nothing is there for an empty rollup", async () => {
    const empty = await loadConfig({ env: { ...databaseEnv(t, "empty"), HOME_USAGE_NOW: NOW } });
    const { report: r } = await report({ aggregate: "week" }, empty);
    expect(r).toMatchObject({ rows: [], asOf: null, timezone: "UTC" });
    expect(r.missing.length).toBeGreaterThan(12);
  });

  it("reads a twenty-year report's pages a few at a time, so one report never fills the driver's pool", async () => {
    const watched = new MongoClient(t.uri, { monitorCommands: true });
    let inFlight = 0;
    let most = 0;
    let finds = 0;
    const ids = new Set<number>();
    watched.on("commandStarted", (e) => {
      if (e.commandName !== "find") return;
      ids.add(e.requestId);
      finds++;
      most = Math.max(most, ++inFlight);
    });
    const ended = (e: { commandName: string; requestId: number }) => {
      if (ids.delete(e.requestId)) inFlight--;
    };
    watched.on("commandSucceeded", ended);
    watched.on("commandFailed", ended);
    try {
      const { report: r } = await createUsageService({ client: watched, config }).report(
        { start: "2006-12-11", aggregate: "day" },
        new Date(NOW),
      );
      expect(r.rows.length + r.missing.length).toBe(7305);
      // One page per month of twenty years, plus the settings: hundreds of look-ups, 8 at a time.
      expect(finds).toBeGreaterThan(240);
      expect(most).toBe(8);
    } finally {
      await watched.close();
    }
  });
});
