import { randomBytes } from "node:crypto";
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from "node:net";
import { type Collection, MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { databaseEnv, useTestDatabase } from "../../../../tools/test/database.js";
import { loginRecord } from "../../../../tools/test/log-records.js";
import { comparable, type Kind, type Login, oracle } from "../../../../tools/test/oracle.js";
import { seededRandom } from "../../../../tools/test/random.js";
import { createUsageService } from "../report/usage-service.js";
import type { DayDocument, PeopleDocument, SummaryPage } from "../rollup/rollup.js";
import { type HomeUsageConfig, loadConfig } from "../settings/config.js";
import { parseRunDates, runAggregation } from "./aggregation.js";
import type { Cookie } from "./cookie.js";
import type { LockDocument } from "./lock.js";
import { readStatus } from "./status.js";

const t = useTestDatabase("aggregation");

/** A fresh source, rollup and cookie collection in the test database, and a config for them. */
async function setup(settings: {
  timezone?: string;
  now: string;
  preset?: string;
  start?: string;
  maxRunDays?: string;
  checkpointMs?: string;
}) {
  const id = randomBytes(3).toString("hex");
  const env = {
    ...databaseEnv(t, id),
    HOME_USAGE_TIMEZONE: settings.timezone,
    HOME_USAGE_LOGIN_PRESET: settings.preset,
    HOME_USAGE_START: settings.start,
    HOME_USAGE_NOW: settings.now,
    HOME_USAGE_MAX_RUN_DAYS: settings.maxRunDays,
    // Checkpoints after every day unless asked otherwise, so the tests see each day's writes.
    HOME_USAGE_CHECKPOINT_MS: settings.checkpointMs ?? "0",
  };
  const config = await loadConfig({ env });
  const log = t.db.collection(`log_${id}`);
  const rollup = t.db.collection<PeopleDocument>(`login_${id}`);
  const summaries = t.db.collection<SummaryPage>(`login_${id}_period`);
  const cookies = t.db.collection<Cookie>(`cookie_${id}`);
  const run = (
    extra: { start?: string; end?: string; reset?: boolean; dryRun?: boolean; yes?: boolean; now?: string } = {},
  ) => {
    const c = extra.now ? { ...config, now: new Date(extra.now) } : config;
    return runAggregation({
      client: t.client,
      config: c,
      ...parseRunDates({ start: extra.start, end: extra.end }, { zone: c.timezone, now: c.now as Date }),
      reset: extra.reset,
      dryRun: extra.dryRun,
      yes: extra.yes,
      host: "test",
      pid: process.pid,
    });
  };
  /** Users per day, as the rollup says: `{ "2026-11-02": ["ann:2", ...] }`. */
  const days = async () => {
    const docs = (await rollup.find({ kind: "day" }).sort({ _id: 1 }).toArray()) as DayDocument[];
    return Object.fromEntries(docs.map((d) => [d._id, d.users.map((u) => `${u.user}:${u.logins}`)]));
  };
  /** Everything the job wrote, without write times, for comparing two runs. */
  const snapshot = async () => {
    const strip = <T extends { updated?: unknown }>({ updated: _u, ...rest }: T) => rest;
    return {
      people: (await rollup.find().sort({ _id: 1 }).toArray()).map(strip),
      summaries: (await summaries.find().sort({ _id: 1 }).toArray()).filter((p) => p._id !== "settings").map(strip),
    };
  };
  /** The report of every period of a kind, through the same service the API uses. */
  const report = async (kind: Kind, start: string, end: string) =>
    (await createUsageService({ client: t.client, config }).report({ start, end, aggregate: kind }, config.now as Date))
      .report;
  return { id, config, env, log, rollup, summaries, cookies, run, days, snapshot, report };
}

const noise = (created: string, message = "start job [core4.queue.helper.job.example]") => ({
  created: new Date(created),
  message,
  level: "DEBUG",
  levelno: 10,
  username: "core4",
  hostname: "app-01",
});

/**
 * Logins of 14 people from `first` to `last` (UTC days): most come often, some rarely, and "gap.user"
 * comes in September and October 2026, stays away for two months, and comes back in January 2027.
 */
function generateLogins(first: string, last: string, seed: number): Login[] {
  const next = seededRandom(seed);
  const logins: Login[] = [];
  const people = Array.from({ length: 13 }, (_, i) => ({
    user: `p${String(i).padStart(2, "0")}`,
    rate: 0.05 + i * 0.06,
  }));
  for (
    let day = new Date(`${first}T00:00:00Z`);
    day <= new Date(`${last}T00:00:00Z`);
    day = new Date(day.getTime() + 86_400_000)
  ) {
    const label = day.toISOString().slice(0, 10);
    for (const p of people) {
      if (next() < p.rate) {
        for (let n = 1 + Math.floor(next() * 3); n > 0; n--) {
          logins.push({ user: p.user, created: new Date(day.getTime() + Math.floor(next() * 86_400_000)) });
        }
      }
    }
    const away = label >= "2026-11-01" && label < "2027-01-01";
    if (!away && label >= "2026-09-01" && next() < 0.3) {
      logins.push({ user: "gap.user", created: new Date(day.getTime() + Math.floor(next() * 86_400_000)) });
    }
  }
  return logins;
}

describe("runAggregation", () => {
  it("rolls logins up by local day: a document per day with its people, first/last, and empty days", async () => {
    const s = await setup({ now: "2026-11-05T12:00:00Z" });
    await s.log.insertMany([
      loginRecord("ann", "2026-11-02T08:00:00Z"),
      loginRecord("bob", "2026-11-02T09:00:00Z"),
      loginRecord("ann", "2026-11-02T17:30:00Z"),
      noise("2026-11-02T10:00:00Z"),
      loginRecord("admin", "2026-11-02T11:00:00Z"),
      loginRecord("cid", "2026-11-04T23:59:59Z"),
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
    const monday = await s.rollup.findOne({ _id: "2026-11-02" });
    expect(monday).toEqual({
      _id: "2026-11-02",
      kind: "day",
      start: new Date("2026-11-02T00:00:00Z"),
      users: [
        {
          user: "ann",
          logins: 2,
          first: new Date("2026-11-02T08:00:00Z"),
          last: new Date("2026-11-02T17:30:00Z"),
        },
        { user: "bob", logins: 1, first: new Date("2026-11-02T09:00:00Z"), last: new Date("2026-11-02T09:00:00Z") },
      ],
      distinctUsers: 2,
      logins: 3,
      parts: 1,
      updated: expect.any(Date),
    });
    // The week's people, kept for the job and for cut reports, and its summary, kept for reports.
    expect(await s.rollup.findOne({ _id: "2026-W45" })).toMatchObject({
      kind: "week",
      distinctUsers: 3,
      logins: 4,
      days: 4,
      users: [
        { user: "ann", logins: 2, days: 1, seen: false },
        { user: "bob", logins: 1, days: 1, seen: false },
        { user: "cid", logins: 1, days: 1, seen: false },
      ],
    });
    // Its summary, as stored: a document with named fields, as an operator reads it in mongosh.
    expect(await s.summaries.findOne({ _id: "week:2026" })).toEqual({
      _id: "week:2026",
      kind: "week",
      bucket: "2026",
      periods: {
        "2026-W45": {
          label: "2026-W45",
          start: new Date("2026-11-02T00:00:00Z"),
          end: new Date("2026-11-09T00:00:00Z"),
          user: 3,
          logins: 4,
          days: 4,
          dailySum: 3,
          previous: 0,
          new: 3,
          returning: 0,
          resurrected: 0,
          dormant: 0,
        },
      },
      updated: expect.any(Date),
    });
    const cookie = await s.cookies.findOne({ _id: "home-usage.aggregate" });
    expect(cookie).toMatchObject({ offsetDay: "2026-11-05", lastRun: { outcome: "done", days: 4, logins: 4 } });
  });

  it("cuts days at local midnight across DST in Europe/Berlin (23- and 25-hour days)", async () => {
    const s = await setup({ timezone: "Europe/Berlin", now: "2026-10-27T12:00:00Z" });
    await s.log.insertMany([
      loginRecord("ann", "2026-03-28T22:59:59Z"), // 23:59:59 CET on the 28th
      loginRecord("bob", "2026-03-28T23:00:00Z"), // midnight CET: the 29th, a 23-hour day
      loginRecord("cid", "2026-03-29T21:59:59Z"), // 23:59:59 CEST on the 29th
      loginRecord("dan", "2026-03-29T22:00:00Z"), // midnight CEST: the 30th
      loginRecord("eve", "2026-10-24T22:00:00Z"), // midnight CEST: the 25th, a 25-hour day
      loginRecord("fay", "2026-10-25T22:59:59Z"), // 23:59:59 CET on the 25th
      loginRecord("gus", "2026-10-25T23:00:00Z"), // midnight CET: the 26th
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
    expect((await s.rollup.findOne({ _id: "2026-03-29" }))?.start).toEqual(new Date("2026-03-28T23:00:00Z"));
  });

  it("agrees with an independent count from the raw log for every kind and metric (DST, week 53, leap day)", async () => {
    const s = await setup({ timezone: "Europe/Berlin", now: "2028-03-05T12:00:00Z", checkpointMs: "5000" });
    const logins = generateLogins("2026-09-20", "2028-03-05", 11);
    await s.log.insertMany([
      ...logins.map((l) => loginRecord(l.user, l.created.toISOString())),
      noise("2026-10-01T10:00:00Z"),
      loginRecord("admin", "2027-01-01T10:00:00Z"),
    ]);
    const result = await s.run({ start: "2026-09-20" });
    expect(result).toMatchObject({ first: "2026-09-20", last: "2028-03-05" });
    for (const kind of ["day", "week", "month", "quarter", "year"] as const) {
      const report = await s.report(kind, "2026-09-20", "2028-03-06");
      const expected = oracle(logins, { zone: "Europe/Berlin", first: "2026-09-20", last: "2028-03-05", kind });
      expect(comparable(report.rows, kind), kind).toEqual(comparable(expected, kind));
    }
    // The first periods: nobody is seen before the first day, so everybody is new.
    const first = (await s.report("month", "2026-09-01", "2026-10-01")).rows[0];
    expect(first).toMatchObject({ period: "2026-09", previous: 0, returning: 0, resurrected: 0 });
    expect(first?.new).toBe(first?.user);
    // The person who stayed away in November and December 2026 is resurrected in January 2027.
    const january = (await s.report("month", "2027-01-01", "2027-02-01")).rows[0];
    expect(january?.resurrected).toBeGreaterThanOrEqual(1);
    // Spot checks the oracle cannot get wrong in the same way: week 53 and the leap day exist.
    expect((await s.report("week", "2026-12-28", "2027-01-04")).rows.map((r) => r.period)).toEqual(["2026-W53"]);
    expect((await s.report("day", "2028-02-29", "2028-03-01")).rows.map((r) => r.period)).toEqual(["2028-02-29"]);
  }, 120_000);

  it("gives the same rollup day by day (incremental runs) as in one run, and reruns change nothing", async () => {
    const once = await setup({ now: "2026-12-03T12:00:00Z" });
    const daily = await setup({ now: "2026-12-03T12:00:00Z" });
    const logins = generateLogins("2026-10-25", "2026-12-03", 5);
    for (const s of [once, daily])
      await s.log.insertMany(logins.map((l) => loginRecord(l.user, l.created.toISOString())));
    await once.run({ start: "2026-10-25" });
    await daily.run({ start: "2026-10-25", now: "2026-10-25T10:00:00Z" });
    for (
      let d = new Date("2026-10-26T10:00:00Z");
      d <= new Date("2026-12-03T12:00:00Z");
      d = new Date(d.getTime() + 86_400_000)
    ) {
      const r = await daily.run({ now: d.toISOString() });
      // Each run starts at the checkpoint: the day before, which may have had more logins since.
      expect(r.first).toBe(new Date(d.getTime() - 86_400_000).toISOString().slice(0, 10));
    }
    const expected = await once.snapshot();
    expect(await daily.snapshot()).toEqual(expected);
    await once.run({ start: "2026-10-25" });
    expect(await once.snapshot()).toEqual(expected);
  }, 120_000);

  it("corrects a day whose logins vanished, and every period holding it", async () => {
    const s = await setup({ now: "2026-11-20T12:00:00Z" });
    await s.log.insertMany([
      loginRecord("ann", "2026-11-01T08:00:00Z"),
      loginRecord("bob", "2026-11-01T09:00:00Z"),
      loginRecord("ann", "2026-11-18T08:00:00Z"),
    ]);
    await s.run();
    const before = await s.report("year", "2026-01-01", "2027-01-01");
    expect(before.rows[0]).toMatchObject({ user: 2, logins: 3 });
    await s.log.deleteOne({ user: "bob" });
    await s.run({ start: "2026-11-01", end: "2026-11-01" });
    expect((await s.days())["2026-11-01"]).toEqual(["ann:1"]);
    for (const kind of ["week", "month", "quarter", "year"] as const) {
      const rows = (await s.report(kind, "2026-10-26", "2026-11-21")).rows;
      expect(
        rows.find((r) => r.period === { week: "2026-W44", month: "2026-11", quarter: "2026-Q4", year: "2026" }[kind]),
        kind,
      ).toMatchObject({ user: 1 });
    }
    // The checkpoint did not move back, and the metrics after the corrected day follow it.
    expect((await s.cookies.findOne({ _id: "home-usage.aggregate" }))?.offsetDay).toBe("2026-11-20");
    const day = (await s.report("day", "2026-11-18", "2026-11-19")).rows[0];
    expect(day).toMatchObject({ user: 1, new: 0, resurrected: 1, active28: 1 });
  });

  it("a backfill does not move the checkpoint back; status names the stretches never processed", async () => {
    const s = await setup({ now: "2026-11-30T12:00:00Z" });
    await s.log.insertMany([loginRecord("ann", "2026-09-02T08:00:00Z"), loginRecord("bob", "2026-10-15T08:00:00Z")]);
    await s.run({ start: "2026-09-01", end: "2026-09-30" });
    await s.run({ start: "2026-11-01" });
    expect((await readStatus(t.client, s.config)).rollup.unprocessed).toEqual([
      { first: "2026-10-01", last: "2026-10-31", days: 31 },
    ]);
    const october = (await s.report("month", "2026-09-01", "2026-12-01")).rows.find((r) => r.period === "2026-11");
    expect(october).toMatchObject({ previous: 0, partial: true });
    expect((await s.report("month", "2026-09-01", "2026-12-01")).missing).toEqual(["2026-10"]);
    await s.run({ start: "2026-10-01", end: "2026-10-31" });
    expect((await s.cookies.findOne({ _id: "home-usage.aggregate" }))?.offsetDay).toBe("2026-11-30");
    const status = await readStatus(t.client, s.config);
    expect(status.rollup).toMatchObject({ first: "2026-09-01", last: "2026-11-30", unprocessed: [] });
    // November's figures now know October: bob came then, and is dormant in November.
    const november = (await s.report("month", "2026-09-01", "2026-12-01")).rows.find((r) => r.period === "2026-11");
    expect(november).toMatchObject({ user: 0, previous: 1, dormant: 1 });
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
      loginRecord("not.counted", "2026-11-01T09:00:00Z"),
      noise("2026-11-01T10:00:00Z", "reset [last_login] for role [x]"),
      core4("ben", "2026-11-02T07:00:00Z"),
    ]);
    const result = await s.run();
    expect(result).toMatchObject({ logins: 2, users: 2, excluded: 1 });
    expect(await s.days()).toEqual({ "2026-11-01": ["anna.schmidt:1"], "2026-11-02": ["ben:1"] });
  });

  it("counts each login signal of the auto preset once, and says which matched; look-alikes are no logins", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z", preset: "auto" });
    const id = () => randomBytes(12).toString("hex");
    await s.log.insertMany([
      loginRecord("ann", "2026-11-01T08:00:00Z"),
      noise("2026-11-01T08:10:00Z", `set [last_login] for role [bob] with _id [${id()}]`),
      noise("2026-11-01T08:20:00Z", `login user [cid] with _id [${id()}]`),
      noise("2026-11-01T08:30:00Z", `set [last_login] for role [admin] with _id [${id()}]`),
      noise("2026-11-01T09:00:00Z", "unsuccessful login"),
      noise("2026-11-01T09:10:00Z", `set [last_login_attempt] for role [eve] with _id [${id()}]`),
      noise("2026-11-01T09:20:00Z", "login user failed"),
    ]);
    const result = await s.run();
    expect(result).toMatchObject({
      logins: 3,
      users: 3,
      excluded: 1,
      signals: [
        { signal: "successful login", logins: 1 },
        { signal: "set last_login", logins: 1 },
        { signal: "login user", logins: 1 },
      ],
    });
    expect(await s.days()).toMatchObject({ "2026-11-01": ["ann:1", "bob:1", "cid:1"] });
    expect((await s.cookies.findOne({ _id: "home-usage.aggregate" }))?.lastRun?.signals).toEqual(result.signals);
  });

  it("when the log has no login records, says what it looked for and what the log says most", async () => {
    const s = await setup({ now: "2026-11-03T12:00:00Z", preset: "auto" });
    await s.log.insertMany([
      noise("2026-11-01T08:00:00Z", "user [ann] signed in"),
      noise("2026-11-01T08:05:00Z", "user [bob] signed in"),
      noise("2026-11-01T08:10:00Z", "user [cid] signed in"),
      noise("2026-11-01T09:00:00Z", "start job [x]"),
    ]);
    const result = await s.run();
    expect(result.first).toBeNull();
    expect(result.noLogins?.signals).toEqual(["successful login", "set last_login", "login user"]);
    expect(result.noLogins?.messages[0]).toEqual({ message: "user [...] signed in", count: 3 });
  });

  it("skips and counts login records without a usable user or time", async () => {
    const s = await setup({ now: "2026-11-01T12:00:00Z" });
    await s.log.insertMany([
      loginRecord("ann", "2026-11-01T08:00:00Z"),
      { ...loginRecord("x", "2026-11-01T08:00:00Z"), user: null },
      { ...loginRecord("x", "2026-11-01T08:00:00Z"), user: "  " },
      { ...loginRecord("x", "2026-11-01T08:00:00Z"), user: 42 },
    ]);
    const result = await s.run();
    expect(result).toMatchObject({ records: 4, logins: 1, skipped: 3, skippedBy: { created: 0, user: 3, tooLong: 0 } });
  });

  it("counts login records whose created is no date, by reason, in a run over the whole log", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    const { created: _, ...undated } = loginRecord("x", "2026-11-01T08:00:00Z");
    await s.log.insertMany([
      loginRecord("ann", "2026-11-01T08:00:00Z"),
      { ...undated, created: "2026-11-01T09:00:00Z" },
      { ...undated, created: 1793523600000 },
      { ...undated, created: null },
      undated,
    ]);
    const result = await s.run();
    expect(result).toMatchObject({ logins: 1, skipped: 4, skippedBy: { created: 4, user: 0, tooLong: 0 } });
    const status = await readStatus(t.client, s.config);
    expect(status.lastRun).toMatchObject({ outcome: "done", skippedBy: { created: 4, user: 0, tooLong: 0 } });
  });

  it("reads the whole log however long that takes: no read of the log carries the API's query budget", async () => {
    // A log of millions of records takes minutes to count on any server; the job's reads of it are bounded
    // by the log and stopped by a signal, never by HOME_USAGE_QUERY_TIMEOUT_MS, which is a request's budget.
    // With that budget a large log made `aggregate --reset` fail with "operation exceeded time limit".
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    const { created: _, ...undated } = loginRecord("x", "2026-11-01T08:00:00Z");
    await s.log.insertMany([loginRecord("ann", "2026-11-01T08:00:00Z"), { ...undated, created: null }]);
    const watched = new MongoClient(t.uri, { monitorCommands: true });
    const logReads: Record<string, unknown>[] = [];
    watched.on("commandStarted", (e) => {
      const target = e.command.find ?? e.command.aggregate ?? e.command.count;
      if (target === s.log.collectionName) logReads.push(e.command);
    });
    try {
      const result = await runAggregation({ client: watched, config: s.config, host: "test", pid: process.pid });
      expect(result).toMatchObject({ logins: 1, skippedBy: { created: 1 } });
    } finally {
      await watched.close();
    }
    expect(logReads.map((command) => Object.keys(command)[0])).toEqual(["aggregate", "find"]);
    expect(logReads.filter((command) => "maxTimeMS" in command)).toEqual([]);
  });

  it("skips and counts names longer than 256 characters: no document holds them", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    const long = "n".repeat(257);
    await s.log.insertMany([
      loginRecord("ann", "2026-11-01T08:00:00Z"),
      loginRecord(long, "2026-11-01T08:01:00Z"),
      loginRecord("m".repeat(256), "2026-11-01T08:02:00Z"),
    ]);
    expect(await s.run()).toMatchObject({ logins: 2, users: 2, skippedBy: { tooLong: 1 } });
    expect(JSON.stringify(await s.snapshot())).not.toContain(long);
    expect((await s.days())["2026-11-01"]).toEqual(["ann:1", `${"m".repeat(256)}:1`]);
  });

  it("keeps counting when a login signal's name holds a dot or begins with $", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    const config: HomeUsageConfig = {
      ...s.config,
      loginPreset: "custom",
      login: {
        any: [
          { name: "successful.login", pattern: "^successful login$", user: { field: "user" } },
          { name: "$set", pattern: "^set \\[last_login\\] for role \\[(?<user>[^\\]]+)\\]", user: { group: "user" } },
        ],
        exclude: [],
      },
    };
    await s.log.insertMany([
      loginRecord("ann", "2026-11-01T08:00:00Z"),
      noise("2026-11-01T08:10:00Z", "set [last_login] for role [bob] with _id [1]"),
    ]);
    const run = () => runAggregation({ client: t.client, config, host: "test", pid: process.pid });
    expect(await run()).toMatchObject({
      logins: 2,
      signals: [
        { signal: "successful.login", logins: 1 },
        { signal: "$set", logins: 1 },
      ],
    });
    const status = await readStatus(t.client, config);
    expect(status.lastRun?.signals).toEqual([
      { signal: "successful.login", logins: 1 },
      { signal: "$set", logins: 1 },
    ]);
    expect(status.offset).toBe("2026-11-02");
    // A later run moves on from there.
    await s.log.insertOne(loginRecord("cid", "2026-11-02T08:00:00Z"));
    expect(await run()).toMatchObject({ logins: 1, first: "2026-11-02" });
  });

  it("starts at HOME_USAGE_START when there is no cookie, and --reset starts there again", async () => {
    const s = await setup({ now: "2026-11-10T12:00:00Z", start: "2026-11-08" });
    await s.log.insertMany([loginRecord("ann", "2026-11-01T08:00:00Z"), loginRecord("bob", "2026-11-09T08:00:00Z")]);
    expect(await s.run()).toMatchObject({ first: "2026-11-08", last: "2026-11-10", users: 1 });
    expect(await s.run({ reset: true })).toMatchObject({ first: "2026-11-08", days: 3 });
    expect(Object.keys(await s.days())).toEqual(["2026-11-08", "2026-11-09", "2026-11-10"]);
  });

  it("refuses to mix time zones in one rollup, until --reset", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.log.insertOne(loginRecord("ann", "2026-11-01T23:30:00Z"));
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

  it("refuses a rollup of the old shape, with the --reset hint, and --reset rebuilds it", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.log.insertOne(loginRecord("ann", "2026-11-01T08:00:00Z"));
    // A day as home-usage 1 wrote it: a Date _id and period keys.
    const old = s.rollup as unknown as Collection<{ _id: Date; day: string }>;
    await old.insertOne({ _id: new Date("2026-11-01T00:00:00Z"), day: "2026-11-01" });
    await expect(s.run()).rejects.toMatchObject({
      code: "E_STATE",
      message: expect.stringMatching(/older home-usage; rebuild it .* aggregate --reset/),
    });
    await expect(s.report("week", "2026-10-01", "2026-11-02")).rejects.toMatchObject({ code: "E_STATE" });
    await s.run({ reset: true, start: "2026-11-01" });
    expect(await s.days()).toEqual({ "2026-11-01": ["ann:1"], "2026-11-02": [] });
  });

  it("refuses a rollup of schema 3 (summary entries as strings of figures) until --reset rebuilds it", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.log.insertOne(loginRecord("ann", "2026-11-01T08:00:00Z"));
    await s.run({ start: "2026-11-01" });
    // The summaries as schema 3 wrote them: figures in one string, in the order of `columns`.
    const old = s.summaries as unknown as Collection<{ _id: string }>;
    await old.updateOne({ _id: "settings" }, { $set: { schema: 3 } });
    await old.replaceOne(
      { _id: "day:2026-11" },
      {
        kind: "day",
        bucket: "2026-11",
        columns: ["user", "logins", "days", "dailySum", "previous", "new", "returning", "resurrected", "dormant"],
        periods: { "2026-11-01": "1 1 1 1 0 1 0 0 0 1 1" },
        updated: new Date(),
      },
    );
    const refused = {
      code: "E_STATE",
      message: expect.stringMatching(
        /^the rollup .* has the shape of an older home-usage; rebuild it from the log with home-usage aggregate --reset \(nothing is lost: the log is the source\)$/,
      ),
    };
    await expect(s.report("week", "2026-10-01", "2026-11-02")).rejects.toMatchObject(refused);
    await expect(s.run()).rejects.toMatchObject(refused);
    await s.run({ reset: true, start: "2026-11-01" });
    expect(await old.findOne({ _id: "settings" })).toMatchObject({ schema: 4 });
    const page = await old.findOne({ _id: "day:2026-11" });
    expect(page).not.toHaveProperty("columns");
    expect(page).toMatchObject({
      periods: {
        "2026-11-01": { label: "2026-11-01", user: 1, logins: 1, new: 1, active7: 1, active28: 1 },
        "2026-11-02": { label: "2026-11-02", user: 0, logins: 0, dormant: 1, active7: 1, active28: 1 },
      },
    });
  });

  it("refuses runs longer than the limit unless the start is explicit and confirmed, writing nothing", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z", maxRunDays: "30" });
    // A record whose date was lost: stored as the epoch.
    await s.log.insertMany([loginRecord("ann", "1970-01-01T00:00:00Z"), loginRecord("bob", "2026-11-01T08:00:00Z")]);
    await expect(s.run()).rejects.toMatchObject({
      code: "E_USAGE",
      message: expect.stringMatching(
        /would process 20760 days \(1970-01-01 to 2026-11-02\), more than the limit of 30 .* the oldest login record \(created 1970-01-01T00:00:00.000Z\)/,
      ),
    });
    await expect(s.run({ start: "2026-08-01" })).rejects.toMatchObject({
      message: expect.stringContaining("from --start: add --yes"),
    });
    expect(await s.rollup.countDocuments()).toBe(0);
    expect(await s.summaries.countDocuments()).toBe(0);
    expect(await s.run({ start: "2026-08-01", yes: true })).toMatchObject({ days: 94 });
  });

  it("names a damaged cookie and how to repair it, and --reset repairs it", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.log.insertOne(loginRecord("ann", "2026-11-01T08:00:00Z"));
    await s.cookies.insertOne({ _id: "home-usage.aggregate", offset: "2026-10-01" as unknown as Date });
    await expect(s.run()).rejects.toMatchObject({
      code: "E_STATE",
      message: expect.stringMatching(/cookie .* is damaged: offset holds the string "2026-10-01".*aggregate --reset/),
    });
    const status = await readStatus(t.client, s.config);
    expect(status.cookieProblem?.stored).toMatchObject({ offset: "2026-10-01" });
    await s.cookies.updateOne({ _id: "home-usage.aggregate" }, { $set: { offset: new Date("2099-01-01") } });
    await expect(s.run()).rejects.toMatchObject({
      message: expect.stringMatching(
        /cookie .* is damaged: offset holds 2099-01-01T00:00:00.000Z.* is after today \(2026-11-02\)/,
      ),
    });
    expect(await s.run({ reset: true })).toMatchObject({ first: "2026-11-01", days: 2 });
  });

  it("names a cookie whose repairFrom is no day of the calendar, and keeps a far one within the run limit", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z", maxRunDays: "400" });
    await s.log.insertOne(loginRecord("ann", "2026-11-01T08:00:00Z"));
    await s.run();
    const before = await s.snapshot();
    await s.cookies.updateOne({ _id: "home-usage.aggregate" }, { $set: { repairFrom: "2026-02-30" } });
    await expect(s.run()).rejects.toMatchObject({
      code: "E_STATE",
      message: expect.stringMatching(
        /the job's cookie .* is damaged: repairFrom holds the string "2026-02-30" .*aggregate --reset/,
      ),
    });
    await s.cookies.updateOne({ _id: "home-usage.aggregate" }, { $set: { repairFrom: "1000-01-01" } });
    await expect(s.run()).rejects.toMatchObject({
      code: "E_USAGE",
      message: expect.stringMatching(
        /would process \d+ days \(1000-01-01 to 2026-11-02\), more than the limit of 400 .*the cookie's repairFrom/,
      ),
    });
    expect(await s.snapshot()).toEqual(before);
  });

  it("refuses rollup settings whose last processed day is after today, naming them", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.log.insertOne(loginRecord("ann", "2026-11-01T08:00:00Z"));
    await s.run();
    await s.summaries.updateOne({ _id: "settings" }, { $set: { last: "9999-12-31" } } as never);
    await expect(s.run()).rejects.toMatchObject({
      code: "E_STATE",
      message: expect.stringMatching(
        /the rollup's settings .* are damaged: last holds 9999-12-31, which is after today \(2026-11-02\).*--reset/,
      ),
    });
    await s.summaries.updateOne({ _id: "settings" }, { $set: { last: "2026-13-45" } } as never);
    await expect(s.run()).rejects.toMatchObject({
      code: "E_STATE",
      message: expect.stringMatching(
        /the rollup's settings .* is damaged: last is not a day of the calendar; rebuild it with home-usage aggregate --reset/,
      ),
    });
    expect(await s.run({ reset: true })).toMatchObject({ first: "2026-11-01", days: 2 });
  });

  it("names a damaged summary page it must write to, with the fix, instead of the server's words", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.log.insertOne(loginRecord("ann", "2026-11-01T08:00:00Z"));
    await s.run({ end: "2026-11-01" });
    await s.summaries.updateOne({ _id: "day:2026-11" }, { $set: { periods: "damaged" } } as never);
    await expect(s.run()).rejects.toMatchObject({
      code: "E_STATE",
      message: expect.stringMatching(
        /the rollup's document day:2026-11 in .* is damaged .*home-usage aggregate --reset/,
      ),
    });
  });

  it("names MONGODB_URI when the database goes away in the middle of a run, and status says so once the lease is over", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z", maxRunDays: "20000" });
    await s.log.insertMany([loginRecord("ann", "2000-01-01T08:00:00Z"), loginRecord("bob", "2026-11-01T08:00:00Z")]);
    // The run talks to the database through a proxy that the test cuts once the run is under way.
    const target = new URL(t.uri.replace(/^mongodb:/, "http:"));
    const sockets = new Set<Socket>();
    const proxy = createTcpServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      client.pipe(upstream).pipe(client);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("error", () => {});
        socket.on("close", () => sockets.delete(socket));
      }
    }).listen(0, "127.0.0.1");
    await new Promise((resolve) => proxy.once("listening", resolve));
    const uri = `mongodb://user:secret-password@127.0.0.1:${(proxy.address() as AddressInfo).port}/?authSource=none&directConnection=true`;
    const client = new MongoClient(uri.replace("user:secret-password@", "").replace("authSource=none&", ""), {
      serverSelectionTimeoutMS: 1_000,
    });
    await client.connect();
    try {
      const running = runAggregation({
        client,
        config: { ...s.config, mongodbUri: uri },
        ...parseRunDates({ start: "2000-01-01" }, { zone: "UTC", now: s.config.now as Date }),
        yes: true,
        host: "test",
        pid: process.pid,
        onProgress: (p) => {
          if (p.days === 30) {
            proxy.close();
            for (const socket of sockets) socket.destroy();
          }
        },
      });
      const error = await running.then(
        () => null,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error?.code).toBe("E_DATABASE");
      expect(error?.message).toMatch(
        /^lost MongoDB at mongodb:\/\/user:\*\*\*@127\.0\.0\.1:\d+.* \(the setting mongodbUri \(MONGODB_URI, --mongodb-uri\)\) during the run; the next run resumes at 2000-01-\d\d/,
      );
      expect(error?.message).not.toContain("secret-password");
    } finally {
      await client.close(true);
    }
    // The run could not record how it ended; once its lease is over, status says it did not finish.
    expect(await readStatus(t.client, s.config)).toMatchObject({ lastRun: { outcome: "running" }, lastRunLost: false });
    await s.cookies.updateOne({ _id: "home-usage.aggregate.lock" } as never, {
      $set: { expires: new Date(Date.now() - 1000) },
    });
    expect(await readStatus(t.client, s.config)).toMatchObject({ lastRun: { outcome: "running" }, lastRunLost: true });
  });

  it("--reset rebuilds in place: readers never see the rollup empty or missing days, and the result is a clean build", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    const logins = Array.from({ length: 40 }, (_, i) =>
      loginRecord(i % 3 === 0 ? "ann" : "bob", new Date(Date.UTC(2026, 8, 24 + i, 8)).toISOString()),
    );
    await s.log.insertMany(logins);
    await s.run();
    const built = await s.snapshot();
    // Reports read while the rebuild goes on, one every ten days.
    const during: Promise<{ rows: number; missing: string[] }>[] = [];
    const result = await runAggregation({
      client: t.client,
      config: s.config,
      reset: true,
      host: "test",
      pid: process.pid,
      onProgress: (p) => {
        if (p.days % 10 === 5) {
          during.push(
            s.report("day", "2026-09-24", "2026-11-02").then((r) => ({ rows: r.rows.length, missing: r.missing })),
          );
        }
      },
    });
    expect(result).toMatchObject({ first: "2026-09-24", last: "2026-11-02" });
    const seen = await Promise.all(during);
    expect(seen.length).toBeGreaterThan(2);
    for (const read of seen) expect(read).toEqual({ rows: 39, missing: [] });
    expect(await s.snapshot()).toEqual(built);
    // A later start: the rebuild drops what lies before it, documents and summary entries alike.
    const later: HomeUsageConfig = { ...s.config, start: "2026-10-15" };
    await runAggregation({ client: t.client, config: later, reset: true, host: "test", pid: process.pid });
    const after = await s.snapshot();
    expect(after.people.filter((d) => d.kind === "day").map((d) => d._id)[0]).toBe("2026-10-15");
    expect(after.people.some((d) => d._id === "2026-09" || d._id === "2026-W39")).toBe(false);
    const labels = after.summaries.flatMap((page) => Object.keys(page.periods));
    expect(labels.filter((l) => l < "2026-10-15" && /^\d{4}-\d{2}-\d{2}$/.test(l))).toEqual([]);
    expect(labels).not.toContain("2026-09");
    expect((await s.summaries.findOne({ _id: "settings" } as never)) as unknown).toMatchObject({
      first: "2026-10-15",
      last: "2026-11-02",
    });
  });

  it("a refused --reset leaves the rollup and the checkpoint as they were", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z", maxRunDays: "400" });
    await s.log.insertOne(loginRecord("ann", "2026-11-01T08:00:00Z"));
    await s.run();
    const before = await s.snapshot();
    const cookie = await s.cookies.findOne({ _id: "home-usage.aggregate" });
    // A stray record from 1970 makes the rebuild plan 20,000 days: refused.
    await s.log.insertOne(loginRecord("bob", "1970-01-01T00:00:00Z"));
    await expect(s.run({ reset: true })).rejects.toMatchObject({ code: "E_USAGE" });
    expect(await s.snapshot()).toEqual(before);
    expect((await s.cookies.findOne({ _id: "home-usage.aggregate" }))?.offsetDay).toBe(cookie?.offsetDay);
    expect((await s.report("day", "2026-11-01", "2026-11-02")).rows.map((r) => r.user)).toEqual([1]);
  });

  it("stops at once when asked before the log's first record arrives, writing nothing", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.log.insertOne(loginRecord("ann", "2026-11-01T08:00:00Z"));
    const controller = new AbortController();
    controller.abort();
    await expect(
      runAggregation({ client: t.client, config: s.config, host: "test", pid: process.pid, signal: controller.signal }),
    ).rejects.toMatchObject({
      code: "E_INTERRUPTED",
      message: expect.stringContaining("nothing was written"),
    });
    expect(await s.rollup.countDocuments()).toBe(0);
    expect(await s.cookies.countDocuments({ _id: "home-usage.aggregate.lock" })).toBe(0);
  });

  it("stops within a second of a signal, even in a long stretch of empty days, keeping what it wrote", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.log.insertMany([loginRecord("ann", "2000-01-01T08:00:00Z"), loginRecord("bob", "2026-11-01T08:00:00Z")]);
    const controller = new AbortController();
    const running = runAggregation({
      client: t.client,
      config: s.config,
      ...parseRunDates({ start: "2000-01-01" }, { zone: "UTC", now: s.config.now as Date }),
      yes: true,
      host: "test",
      pid: process.pid,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.days === 20) controller.abort();
      },
    });
    const began = Date.now();
    await expect(running).rejects.toMatchObject({
      code: "E_INTERRUPTED",
      message: expect.stringMatching(/the next run resumes at 2000-01-(19|20)/),
    });
    expect(Date.now() - began).toBeLessThan(10_000);
    const cookie = await s.cookies.findOne({ _id: "home-usage.aggregate" });
    expect(cookie?.offsetDay).toMatch(/^2000-01-(19|20)$/);
    expect((await s.days())["2000-01-01"]).toEqual(["ann:1"]);
  });

  it("moves its checkpoint every 128 documents even when the time between checkpoints is long", async () => {
    // The log can arrive faster than it is written (FerretDB sends it all at once after sorting): a run
    // must not hold years of days for the next timed checkpoint, nor lose them all to a kill.
    const s = await setup({ now: "2026-11-02T12:00:00Z", checkpointMs: "3600000" });
    const logins = [];
    for (let d = Date.UTC(2025, 0, 1, 8); d < Date.UTC(2026, 1, 1); d += 86_400_000) {
      logins.push(loginRecord("ann", new Date(d).toISOString()));
    }
    await s.log.insertMany(logins);
    const watched = new MongoClient(t.uri, { monitorCommands: true });
    const cookieWrites: string[] = [];
    watched.on("commandStarted", (e) => {
      if (e.command.update === `cookie_${s.id}`) cookieWrites.push(JSON.stringify(e.command.updates));
    });
    try {
      await runAggregation({
        client: watched,
        config: s.config,
        ...parseRunDates({ start: "2025-01-01", end: "2026-01-31" }, { zone: "UTC", now: s.config.now as Date }),
        host: "test",
        pid: process.pid,
      });
    } finally {
      await watched.close();
    }
    // 396 days and their weeks, months, quarters and years make some 470 documents: three checkpoints
    // by size and the last one at the end. By time alone the cookie would move once, at the end.
    const advances = cookieWrites.filter((w) => w.includes("offsetDay"));
    expect(advances.length).toBeGreaterThanOrEqual(4);
    expect((await s.cookies.findOne({ _id: "home-usage.aggregate" }))?.offsetDay).toBe("2026-01-31");
    expect(Object.keys(await s.days())).toHaveLength(396);
  });

  it("writes nothing on a dry run, and says what it would do", async () => {
    const s = await setup({ now: "2026-11-03T12:00:00Z" });
    await s.log.insertMany([loginRecord("ann", "2026-11-01T08:00:00Z"), loginRecord("bob", "2026-11-02T08:00:00Z")]);
    const result = await s.run({ dryRun: true });
    expect(result).toMatchObject({ dryRun: true, first: "2026-11-01", last: "2026-11-03", days: 3, candidates: 2 });
    expect(await s.rollup.countDocuments()).toBe(0);
    expect(await s.summaries.countDocuments()).toBe(0);
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
    await s.log.insertOne(loginRecord("ann", "2026-11-01T08:00:00Z"));
    const locks = s.cookies as unknown as Collection<LockDocument>;
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

  it("names a damaged lock and the command that removes it; status does not call it free", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.log.insertOne(loginRecord("ann", "2026-11-01T08:00:00Z"));
    const locks = s.cookies as unknown as Collection<{ _id: string } & Record<string, unknown>>;
    await locks.insertOne({ _id: "home-usage.aggregate.lock", owner: "x", host: "h", pid: 1, expires: "soon" });
    const damaged = new RegExp(
      `the job's lock ${t.name}\\.cookie_${s.id} \\(home-usage\\.aggregate\\.lock\\) is damaged: acquired holds nothing; .*deleteOne\\(\\{ _id: "home-usage\\.aggregate\\.lock" \\}\\)`,
    );
    await expect(s.run()).rejects.toMatchObject({ code: "E_STATE", message: expect.stringMatching(damaged) });
    expect(await s.rollup.countDocuments()).toBe(0);
    const status = await readStatus(t.client, s.config);
    expect(status.lock).toBeNull();
    expect(status.lockProblem).toMatch(damaged);
    await locks.deleteOne({ _id: "home-usage.aggregate.lock" });
    expect(await s.run()).toMatchObject({ days: 2 });
  });

  it("status tells a run that ended without saying how (no lock held) from one still running", async () => {
    const s = await setup({ now: "2026-11-02T12:00:00Z" });
    await s.cookies.insertOne({
      _id: "home-usage.aggregate",
      lastRun: {
        started: new Date(),
        outcome: "running",
        first: "2026-11-01",
        last: "2026-11-02",
        days: 1,
        records: 1,
        logins: 1,
        skipped: 0,
        users: 1,
      },
    });
    expect(await readStatus(t.client, s.config)).toMatchObject({ lastRunLost: true });
  });
});
