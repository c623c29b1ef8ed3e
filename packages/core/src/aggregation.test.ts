import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { parseRunDates, runAggregation } from "./aggregation.js";
import { type HomeUsageConfig, loadConfig } from "./config.js";
import type { Cookie } from "./cookie.js";
import type { LockDocument } from "./lock.js";
import type { RollupDay } from "./rollup.js";

const t = useTestDatabase("aggregation");

/** A fresh source, rollup and cookie collection in the test database, and a config for them. */
async function setup(settings: { timezone?: string; now: string; preset?: string; start?: string }) {
  const id = randomBytes(3).toString("hex");
  const config = await loadConfig({
    env: {
      ...databaseEnv(t, id),
      HOME_USAGE_TIMEZONE: settings.timezone,
      HOME_USAGE_LOGIN_PRESET: settings.preset,
      HOME_USAGE_START: settings.start,
      HOME_USAGE_NOW: settings.now,
    },
  });
  const log = t.db.collection(`log_${id}`);
  const rollup = t.db.collection<RollupDay>(`login_${id}`);
  const cookies = t.db.collection<Cookie>(`cookie_${id}`);
  const run = (extra: { start?: string; end?: string; reset?: boolean; dryRun?: boolean } = {}) =>
    runAggregation({
      client: t.client,
      config,
      ...parseRunDates({ start: extra.start, end: extra.end }, { zone: config.timezone, now: config.now as Date }),
      reset: extra.reset,
      dryRun: extra.dryRun,
      host: "test",
      pid: process.pid,
    });
  /** Users per day, as the rollup says: `{ "2026-11-02": ["ann:2", ...] }`. */
  const days = async () => {
    const docs = await rollup.find().sort({ _id: 1 }).toArray();
    return Object.fromEntries(docs.map((d) => [d.day, d.users.map((u) => `${u.user}:${u.logins}`)]));
  };
  return { config, log, rollup, cookies, run, days };
}

const login = (user: string, created: string) => ({
  created: new Date(created),
  message: "successful login",
  user,
  level: "INFO",
  levelno: 20,
  username: "core4",
  hostname: "app-01",
});

const noise = (created: string, message = "start job [core4.queue.helper.job.example]") => ({
  created: new Date(created),
  message,
  level: "DEBUG",
  levelno: 10,
  username: "core4",
  hostname: "app-01",
});

describe("runAggregation", () => {
  it("rolls logins up by local day, with period keys, first/last and empty days", async () => {
    const s = await setup({ now: "2026-11-05T12:00:00Z" });
    await s.log.insertMany([
      login("ann", "2026-11-02T08:00:00Z"),
      login("bob", "2026-11-02T09:00:00Z"),
      login("ann", "2026-11-02T17:30:00Z"),
      noise("2026-11-02T10:00:00Z"),
      login("admin", "2026-11-02T11:00:00Z"),
      login("cid", "2026-11-04T23:59:59Z"),
      noise("2026-11-04T12:00:00Z", "failed login for user [eve]"),
    ]);
    const result = await s.run();
    expect(result).toMatchObject({
      first: "2026-11-02",
      last: "2026-11-05",
      days: 4,
      logins: 4,
      users: 3,
      excluded: 1,
    });
    expect(await s.days()).toEqual({
      "2026-11-02": ["ann:2", "bob:1"],
      "2026-11-03": [],
      "2026-11-04": ["cid:1"],
      "2026-11-05": [],
    });
    const monday = await s.rollup.findOne({ day: "2026-11-02" });
    expect(monday).toMatchObject({
      _id: new Date("2026-11-02T00:00:00Z"),
      week: "2026-W45",
      month: "2026-11",
      quarter: "2026-Q4",
      year: "2026",
      timezone: "UTC",
      logins: 3,
      distinctUsers: 2,
    });
    expect(monday?.users[0]).toMatchObject({
      user: "ann",
      first: new Date("2026-11-02T08:00:00Z"),
      last: new Date("2026-11-02T17:30:00Z"),
      week: "2026-W45",
    });
    const cookie = await s.cookies.findOne({ _id: "home-usage.aggregate" });
    expect(cookie).toMatchObject({ offsetDay: "2026-11-05", lastRun: { outcome: "done", days: 4, logins: 4 } });
  });

  it("cuts days at local midnight across DST in Europe/Berlin (23- and 25-hour days)", async () => {
    const s = await setup({ timezone: "Europe/Berlin", now: "2026-10-27T12:00:00Z" });
    await s.log.insertMany([
      login("ann", "2026-03-28T22:59:59Z"), // 23:59:59 CET on the 28th
      login("bob", "2026-03-28T23:00:00Z"), // midnight CET: the 29th, a 23-hour day
      login("cid", "2026-03-29T21:59:59Z"), // 23:59:59 CEST on the 29th
      login("dan", "2026-03-29T22:00:00Z"), // midnight CEST: the 30th
      login("eve", "2026-10-24T22:00:00Z"), // midnight CEST: the 25th, a 25-hour day
      login("fay", "2026-10-25T22:59:59Z"), // 23:59:59 CET on the 25th
      login("gus", "2026-10-25T23:00:00Z"), // midnight CET: the 26th
    ]);
    await s.run({ start: "2026-03-28", end: "2026-03-30" });
    await s.run({ start: "2026-10-24", end: "2026-10-26" });
    expect(await s.days()).toEqual({
      "2026-03-28": ["ann:1"],
      "2026-03-29": ["bob:1", "cid:1"],
      "2026-03-30": ["dan:1"],
      "2026-10-24": [],
      "2026-10-25": ["eve:1", "fay:1"],
      "2026-10-26": ["gus:1"],
    });
    const spring = await s.rollup.findOne({ day: "2026-03-29" });
    expect(spring?._id).toEqual(new Date("2026-03-28T23:00:00Z"));
  });

  it("handles ISO week 53, New Year and the leap day", async () => {
    const s = await setup({ now: "2028-03-01T12:00:00Z" });
    await s.log.insertMany([
      login("ann", "2026-12-31T00:00:00Z"),
      login("ann", "2027-01-01T00:00:00Z"),
      login("bob", "2028-02-29T23:59:59Z"),
    ]);
    await s.run({ start: "2026-12-31", end: "2027-01-04" });
    await s.run({ start: "2028-02-28", end: "2028-03-01" });
    const keys = await s.rollup
      .find({}, { projection: { _id: 0, day: 1, week: 1, year: 1 } })
      .sort({ _id: 1 })
      .toArray();
    expect(keys.slice(0, 5)).toEqual([
      { day: "2026-12-31", week: "2026-W53", year: "2026" },
      { day: "2027-01-01", week: "2026-W53", year: "2027" },
      { day: "2027-01-02", week: "2026-W53", year: "2027" },
      { day: "2027-01-03", week: "2026-W53", year: "2027" },
      { day: "2027-01-04", week: "2027-W01", year: "2027" },
    ]);
    expect((await s.days())["2028-02-29"]).toEqual(["bob:1"]);
  });

  it("continues from the cookie, redoing only the last day, and a rerun gives identical rollups", async () => {
    const s = await setup({ now: "2026-11-03T12:00:00Z" });
    await s.log.insertMany([login("ann", "2026-11-01T08:00:00Z"), login("bob", "2026-11-03T08:00:00Z")]);
    await s.run();
    const strip = async () =>
      (await s.rollup.find().sort({ _id: 1 }).toArray()).map(({ updated: _updated, ...rest }) => rest);
    const before = await strip();
    // Later that day another login arrives: the next run starts at the cookie's day and picks it up.
    await s.log.insertOne(login("cid", "2026-11-03T11:00:00Z"));
    const again = await s.run();
    expect(again).toMatchObject({ first: "2026-11-03", last: "2026-11-03", days: 1, logins: 2 });
    expect((await s.days())["2026-11-03"]).toEqual(["bob:1", "cid:1"]);
    // The same range again changes nothing.
    await s.run({ start: "2026-11-01" });
    const after = await strip();
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
  });

  it("corrects a day whose logins vanished, since days are replaced whole", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.log.insertMany([login("ann", "2026-11-01T08:00:00Z"), login("bob", "2026-11-01T09:00:00Z")]);
    await s.run();
    await s.log.deleteOne({ user: "bob" });
    await s.run({ start: "2026-11-01" });
    expect((await s.days())["2026-11-01"]).toEqual(["ann:1"]);
  });

  it("reads core4's own login records with the core4 preset, the user from the message", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z", preset: "core4" });
    const core4 = (role: string, created: string) => ({
      ...noise(created, `set [last_login] for role [${role}] with _id [${randomBytes(12).toString("hex")}]`),
      level: "INFO",
    });
    await s.log.insertMany([
      core4("anna.schmidt", "2026-11-01T08:00:00Z"),
      core4("admin", "2026-11-01T08:30:00Z"),
      login("not.counted", "2026-11-01T09:00:00Z"),
      noise("2026-11-01T10:00:00Z", "reset [last_login] for role [x]"),
      core4("ben", "2026-11-02T07:00:00Z"),
    ]);
    const result = await s.run();
    expect(result).toMatchObject({ logins: 2, users: 2, excluded: 1 });
    expect(await s.days()).toEqual({ "2026-11-01": ["anna.schmidt:1"], "2026-11-02": ["ben:1"] });
  });

  it("skips and counts login records without a usable user or time", async () => {
    const s = await setup({ now: "2026-11-01T12:00:00Z" });
    await s.log.insertMany([
      login("ann", "2026-11-01T08:00:00Z"),
      { ...login("x", "2026-11-01T08:00:00Z"), user: null },
      { ...login("x", "2026-11-01T08:00:00Z"), user: "  " },
      { ...login("x", "2026-11-01T08:00:00Z"), user: 42 },
    ]);
    const result = await s.run();
    expect(result).toMatchObject({ records: 4, logins: 1, skipped: 3 });
  });

  it("starts at HOME_USAGE_START when there is no cookie, and --reset starts there again", async () => {
    const s = await setup({ now: "2026-11-10T12:00:00Z", start: "2026-11-08" });
    await s.log.insertMany([login("ann", "2026-11-01T08:00:00Z"), login("bob", "2026-11-09T08:00:00Z")]);
    expect(await s.run()).toMatchObject({ first: "2026-11-08", last: "2026-11-10", users: 1 });
    expect(await s.run({ reset: true })).toMatchObject({ first: "2026-11-08", days: 3 });
    expect(Object.keys(await s.days())).toEqual(["2026-11-08", "2026-11-09", "2026-11-10"]);
  });

  it("refuses to mix time zones in one rollup, until --reset", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.log.insertOne(login("ann", "2026-11-01T23:30:00Z"));
    await s.run();
    const berlin: HomeUsageConfig = { ...s.config, timezone: "Europe/Berlin" };
    const run = (reset: boolean) =>
      runAggregation({ client: t.client, config: berlin, reset, host: "test", pid: process.pid });
    await expect(run(false)).rejects.toMatchObject({
      code: "E_STATE",
      message: expect.stringContaining("run aggregate --reset"),
    });
    expect(await s.days()).toEqual({ "2026-11-01": ["ann:1"], "2026-11-02": [] });
    await run(true);
    expect(await s.days()).toEqual({ "2026-11-02": ["ann:1"] });
  });

  it("writes nothing on a dry run, and says what it would do", async () => {
    const s = await setup({ now: "2026-11-03T12:00:00Z" });
    await s.log.insertMany([login("ann", "2026-11-01T08:00:00Z"), login("bob", "2026-11-02T08:00:00Z")]);
    const result = await s.run({ dryRun: true });
    expect(result).toMatchObject({ dryRun: true, first: "2026-11-01", last: "2026-11-03", days: 3, candidates: 2 });
    expect(await s.rollup.countDocuments()).toBe(0);
    expect(await s.cookies.countDocuments()).toBe(0);
  });

  it("does nothing when the log has no logins and no start is configured", async () => {
    const s = await setup({ now: "2026-11-03T12:00:00Z" });
    await s.log.insertOne(noise("2026-11-01T08:00:00Z"));
    expect(await s.run()).toMatchObject({ first: null, days: 0 });
    expect(await s.rollup.countDocuments()).toBe(0);
  });

  it("refuses to run while another run holds the lock, and takes over an expired one", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.log.insertOne(login("ann", "2026-11-01T08:00:00Z"));
    const locks = s.cookies as unknown as import("mongodb").Collection<LockDocument>;
    const held = {
      _id: "home-usage.aggregate.lock",
      owner: "someone",
      host: "cron-host",
      pid: 4242,
      acquired: new Date("2026-11-02T11:59:00Z"),
      heartbeat: new Date(),
      expires: new Date(Date.now() + 60_000),
    };
    await locks.insertOne(held);
    await expect(s.run()).rejects.toMatchObject({
      code: "E_LOCKED",
      message: expect.stringContaining("pid 4242 on cron-host since 2026-11-02T11:59:00.000Z"),
    });
    expect(await s.rollup.countDocuments()).toBe(0);
    await locks.updateOne({ _id: held._id }, { $set: { expires: new Date(Date.now() - 1000) } });
    expect(await s.run()).toMatchObject({ days: 2 });
    expect(await locks.countDocuments({ _id: held._id })).toBe(0);
  });
});
