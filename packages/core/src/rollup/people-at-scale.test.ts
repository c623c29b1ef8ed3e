// Days and periods of more people than one document holds: stored in parts, read whole, and no
// document near MongoDB's limit. Against the real database, checked against the plain count of
// tools/test/oracle.ts.
import { BSON } from "mongodb";
import { describe, expect, it } from "vitest";
import { databaseEnv, useTestDatabase } from "../../../../tools/test/database.js";
import { loginRecord } from "../../../../tools/test/log-records.js";
import { type Login, oracle } from "../../../../tools/test/oracle.js";
import { collections } from "../collections.js";
import { parseRunDates, runAggregation } from "../job/aggregation.js";
import { createUsageService } from "../report/usage-service.js";
import { loadConfig } from "../settings/config.js";
import { PEOPLE_PER_DOCUMENT, type PeriodDocument } from "./rollup.js";

const t = useTestDatabase("people_at_scale");

const name = (i: number) => `person.${String(i).padStart(5, "0")}`;

describe("people in parts", { timeout: 240_000 }, () => {
  it("keeps a week of 21,000 people in parts of at most 10,000, and reports them exactly", async () => {
    const env = { ...databaseEnv(t, "big"), HOME_USAGE_NOW: "2026-11-12T12:00:00Z", HOME_USAGE_TIMEZONE: "UTC" };
    const config = await loadConfig({ env });
    // Monday: people 0 to 11,999; Tuesday: 9,000 to 20,999: 21,000 people in the week, 3,000 on both days.
    const logins: Login[] = [
      ...Array.from({ length: 12_000 }, (_, i) => ({
        user: name(i),
        created: new Date(Date.UTC(2026, 10, 9, 8, 0, i % 3600)),
      })),
      ...Array.from({ length: 12_000 }, (_, i) => ({
        user: name(9_000 + i),
        created: new Date(Date.UTC(2026, 10, 10, 9, 0, i % 3600)),
      })),
    ];
    const log = t.db.collection(config.source.collection);
    for (let i = 0; i < logins.length; i += 5_000) {
      await log.insertMany(logins.slice(i, i + 5_000).map((l) => loginRecord(l.user, l.created)));
    }
    const now = config.now as Date;
    await runAggregation({
      client: t.client,
      config,
      ...parseRunDates({ start: "2026-11-09" }, { zone: "UTC", now }),
      host: "test",
      pid: process.pid,
    });

    // No document holds more than 10,000 people, and none nears MongoDB's 16 MB.
    const docs = await t.db
      .collection<{ _id: string; [field: string]: unknown }>(config.target.collection)
      .find({})
      .sort({ _id: 1 })
      .toArray();
    const largest = Math.max(...docs.map((d) => BSON.calculateObjectSize(d)));
    expect(Math.max(...docs.map((d) => (d.users as unknown[]).length))).toBe(PEOPLE_PER_DOCUMENT);
    expect(largest).toBeLessThan(2 * 1024 * 1024);
    // The week is one document and two further parts, readable in mongosh by their names.
    const week = docs.filter((d) => d._id === "2026-W46" || d.of === "2026-W46");
    expect(week.map((d) => [d._id, (d.users as unknown[]).length])).toEqual([
      ["2026-W46", 10_000],
      ["2026-W46/2", 10_000],
      ["2026-W46/3", 1_000],
    ]);
    expect(week[0]?.parts).toBe(3);
    expect(week[0]?.distinctUsers).toBe(21_000);

    // Every figure is the plain count's.
    const usage = createUsageService({ client: t.client, config });
    const expected = (kind: "day" | "week") =>
      oracle(logins, { zone: "UTC", first: "2026-11-09", last: "2026-11-11", kind }).map((r) => [
        r.period,
        r.user,
        r.new,
        r.returning,
      ]);
    for (const kind of ["day", "week"] as const) {
      const { report } = await usage.report({ start: "2026-11-09", end: "2026-11-12", aggregate: kind }, now);
      expect(report.rows.map((r) => [r.period, r.user, r.new, r.returning])).toEqual(expected(kind));
    }
    // The people list has everyone once, with their logins.
    const { rows } = await usage.people({ start: "2026-11-09", end: "2026-11-12" }, now);
    expect(rows.length).toBe(21_000);
    expect(new Set(rows.map((r) => r.user)).size).toBe(21_000);
    expect(rows.filter((r) => r.logins === 2).map((r) => r.user)).toEqual(
      Array.from({ length: 3_000 }, (_, i) => name(9_000 + i)),
    );
  });

  it("reads a period back whole and drops the parts a smaller rewrite no longer needs", async () => {
    const config = await loadConfig({ env: { ...databaseEnv(t, "parts"), HOME_USAGE_TIMEZONE: "UTC" } });
    const store = collections(t.client, config).rollup();
    const at = new Date("2026-11-09T08:00:00Z");
    const period = (people: number): PeriodDocument => ({
      _id: "2026-W46",
      kind: "week",
      start: new Date("2026-11-09T00:00:00Z"),
      end: new Date("2026-11-16T00:00:00Z"),
      users: Array.from({ length: people }, (_, i) => ({
        user: name(i),
        logins: 1,
        first: at,
        last: at,
        days: 1,
        seen: false,
      })),
      distinctUsers: people,
      logins: people,
      days: 1,
      dailySum: people,
      updated: at,
    });
    await store.writePeople([period(25_000)], () => false);
    expect((await store.period("2026-W46"))?.users.map((u) => u.user)).toEqual(period(25_000).users.map((u) => u.user));

    await store.writePeople([period(5_000)], () => true);
    const ids = (
      await t.db
        .collection(config.target.collection)
        .find({}, { projection: { _id: 1 } })
        .toArray()
    ).map((d) => d._id);
    expect(ids).toEqual(["2026-W46"]);
    expect((await store.period("2026-W46"))?.users.length).toBe(5_000);
  });

  it("names a missing part and the command that rebuilds it", async () => {
    const config = await loadConfig({ env: { ...databaseEnv(t, "missing"), HOME_USAGE_TIMEZONE: "UTC" } });
    const store = collections(t.client, config).rollup();
    const at = new Date("2026-11-09T08:00:00Z");
    await store.writePeople(
      [
        {
          _id: "2026-11-09",
          kind: "day",
          start: new Date("2026-11-09T00:00:00Z"),
          users: Array.from({ length: 10_001 }, (_, i) => ({ user: name(i), logins: 1, first: at, last: at })),
          distinctUsers: 10_001,
          logins: 10_001,
          updated: at,
        },
      ],
      () => false,
    );
    await t.db.collection(config.target.collection).deleteOne({ _id: "2026-11-09/2" } as never);
    await expect(store.day("2026-11-09")).rejects.toThrow(
      "the rollup's 2026-11-09/2, part 2 of 2 of 2026-11-09, is missing; rebuild it with home-usage aggregate --start 2026-11-09",
    );
  });
});
