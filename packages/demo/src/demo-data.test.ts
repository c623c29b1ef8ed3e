import { createHash } from "node:crypto";
import { createCore4SignIn, HomeUsageError, type RoleDocument } from "@home-usage/core";
import { ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../../../tools/test/database.js";
import { openAccounts } from "../../core/src/accounts/core4-roles.js";
import {
  type DemoDataOptions,
  type DemoLogRecord,
  demoLoginOf,
  generateDemoRecords,
  writeDemoData,
  writeDemoRoles,
} from "./demo-data.js";

const t = useTestDatabase("demo_data");

// Three whole weeks, Monday 2026-02-09 to Sunday 2026-03-01.
const options: DemoDataOptions = { days: 21, users: 30, seed: 7, end: new Date("2026-03-01T00:00:00Z") };
const records = [...generateDemoRecords(options)];

const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 } as const;
const ROLE_LOGIN = /^set \[last_login\] for role \[([^\]]+)\] with _id \[([0-9a-f]{24})\]$/;
const USER_LOGIN = /^login user \[([^\]]+)\] with _id \[([0-9a-f]{24})\]$/;

function digest(log: Iterable<DemoLogRecord>): string {
  const hash = createHash("sha256");
  for (const record of log) hash.update(`${JSON.stringify(record)}\n`);
  return hash.digest("hex");
}

const isSeedLogin = (r: DemoLogRecord) => r.message === "successful login";
/** Who logged in, by the three styles, read here independently of demoLoginOf. */
const loginOf = (r: DemoLogRecord) =>
  isSeedLogin(r) ? (r.user ?? null) : (r.message.match(ROLE_LOGIN)?.[1] ?? r.message.match(USER_LOGIN)?.[1] ?? null);
const isLogin = (r: DemoLogRecord) => loginOf(r) !== null;
const peopleLogins = (log: DemoLogRecord[]) => log.filter((r) => isLogin(r) && loginOf(r) !== "admin");
const day = (r: DemoLogRecord) => r.created.toISOString().slice(0, 10);

describe("generateDemoRecords", () => {
  it("gives the same records for the same seed, and other records for another seed", () => {
    expect(digest(generateDemoRecords({ ...options }))).toBe(digest(records));
    expect(digest(generateDemoRecords({ ...options, seed: 8 }))).not.toBe(digest(records));
  });

  it("yields records in ascending created order, within the requested days", () => {
    for (let i = 1; i < records.length; i++) {
      expect(records[i]?.created.getTime()).toBeGreaterThanOrEqual(records[i - 1]?.created.getTime() ?? 0);
    }
    expect(records[0]?.created.getTime()).toBeGreaterThanOrEqual(Date.parse("2026-02-09T00:00:00Z"));
    expect(records.at(-1)?.created.getTime()).toBeLessThan(Date.parse("2026-03-02T00:00:00Z"));
    expect(new Set(records.map(day)).size).toBe(21);
  });

  it("starts yielding at once, even for a decade of a thousand people", () => {
    const started = performance.now();
    const log = generateDemoRecords({ days: 3650, users: 1000, seed: 1, end: new Date("2026-03-01T00:00:00Z") });
    const first = log.next().value as DemoLogRecord;
    expect(day(first)).toBe("2016-03-04");
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("writes every record with core4's fields and types", () => {
    // Checked plainly and reported together: thousands of expect() calls would dominate the file's run time.
    const problems = (r: DemoLogRecord): string[] => {
      const bad = (ok: boolean, what: string) => (ok ? [] : [what]);
      return [
        ...bad(r._id instanceof ObjectId, "_id"),
        ...bad(r.created instanceof Date && r.created.getUTCMilliseconds() === 0, "created"),
        // The id's timestamp is the record's second, so ids sort by time as core4's do.
        ...bad(r._id.getTimestamp().getTime() === r.created.getTime(), "_id time"),
        ...bad(Math.floor(r.epoch) === r.created.getTime() / 1000, "epoch"),
        ...bad(LEVELS[r.level] === r.levelno, "level"),
        ...bad(typeof r.message === "string" && r.message !== "", "message"),
        ...bad(r.username === "core4" || r.username === "www-data", "username"),
        ...bad(/^[a-z]+-\d{2}\.core4\.local$/.test(r.hostname), "hostname"),
        ...bad(r.identifier === null || typeof r.identifier === "string", "identifier"),
        ...bad(/^[a-z0-9_]+(\.[A-Za-z0-9_]+)+$/.test(r.qual_name), "qual_name"),
        ...bad(isSeedLogin(r) ? typeof r.user === "string" : !("user" in r), "user"),
        ...bad(
          r.exception === undefined ||
            ((r.level === "ERROR" || r.level === "CRITICAL") &&
              typeof r.exception.info === "string" &&
              r.exception.text.startsWith("Traceback")),
          "exception",
        ),
      ];
    };
    expect(records.flatMap((r) => problems(r).map((p) => `${p}: ${JSON.stringify(r)}`))).toEqual([]);
    expect(new Set(records.map((r) => r._id.toHexString())).size).toBe(records.length);
    expect(records.some((r) => r.exception)).toBe(true);
    expect(records.some((r) => r.identifier === null)).toBe(true);
  });

  it("logs each login once, in one of three styles, each style often", () => {
    const logins = records.filter(isLogin);
    expect(logins.length).toBeGreaterThan(200);
    const share = (test: (r: DemoLogRecord) => boolean) => logins.filter(test).length / logins.length;
    expect(share(isSeedLogin)).toBeGreaterThan(0.2);
    expect(share((r) => ROLE_LOGIN.test(r.message))).toBeGreaterThan(0.4);
    expect(share((r) => USER_LOGIN.test(r.message))).toBeGreaterThan(0.1);
    for (const r of logins) {
      expect(r.level).toBe("INFO");
      expect(demoLoginOf(r)).toBe(loginOf(r));
    }
  });

  it("gives each person one role id, and keeps it with another seed", () => {
    const roleIds = (log: Iterable<DemoLogRecord>) => {
      const ids = new Map<string, Set<string>>();
      for (const r of log) {
        const [, name, id] = r.message.match(ROLE_LOGIN) ?? r.message.match(USER_LOGIN) ?? [];
        if (name && id) ids.set(name, (ids.get(name) ?? new Set()).add(id));
      }
      return ids;
    };
    const ids = roleIds(records);
    for (const set of ids.values()) expect(set.size).toBe(1);
    expect(new Set([...ids.values()].map((set) => [...set][0])).size).toBe(ids.size);
    for (const [name, set] of roleIds(generateDemoRecords({ ...options, seed: 8 }))) {
      if (ids.has(name)) expect(set).toEqual(ids.get(name));
    }
  });

  it("lets admin log in on some days", () => {
    const days = new Set(records.filter((r) => loginOf(r) === "admin").map(day));
    expect(days.size).toBeGreaterThan(1);
    expect(days.size).toBeLessThan(21);
  });

  it("names people uniquely in lowercase, never admin", () => {
    const names = new Set(peopleLogins(records).map(loginOf));
    expect(names.size).toBeGreaterThan(25);
    expect(names.size).toBeLessThanOrEqual(30);
    for (const name of names) expect(name).toMatch(/^[a-z]+\.[a-z]+\d*$/);
    const many = new Set<string>();
    for (const r of generateDemoRecords({ days: 7, users: 2000, seed: 1, end: options.end, noisePerLogin: 0 })) {
      const name = loginOf(r);
      if (name) many.add(name);
    }
    expect(many.size).toBeGreaterThan(1000);
    expect([...many].filter((name) => /^anna\.schmidt\d*$/.test(name)).length).toBeLessThanOrEqual(2);
  });

  it("has far more logins per weekday than per weekend day", () => {
    const perDay = new Map<string, number>();
    for (const r of peopleLogins(records)) perDay.set(day(r), (perDay.get(day(r)) ?? 0) + 1);
    const mean = (weekend: boolean) => {
      const days = [...Array(21).keys()].map((i) => new Date(Date.parse("2026-02-09T00:00:00Z") + i * 86_400_000));
      const chosen = days.filter((d) => [0, 6].includes(d.getUTCDay()) === weekend);
      return chosen.reduce((sum, d) => sum + (perDay.get(d.toISOString().slice(0, 10)) ?? 0), 0) / chosen.length;
    };
    expect(mean(false)).toBeGreaterThan(3 * mean(true));
  });

  it("grows: more people log in during the last week than during the first", () => {
    const people = (from: string, to: string) =>
      new Set(
        peopleLogins(records)
          .filter((r) => day(r) >= from && day(r) <= to)
          .map(loginOf),
      ).size;
    expect(people("2026-02-23", "2026-03-01")).toBeGreaterThan(people("2026-02-09", "2026-02-15") * 1.3);
  });

  it("logs people in mostly during working hours, some at any hour", () => {
    const hours = peopleLogins(records).map((r) => r.created.getUTCHours());
    const working = hours.filter((h) => h >= 6 && h < 18).length;
    expect(working / hours.length).toBeGreaterThan(0.75);
    expect(working).toBeLessThan(hours.length);
  });

  it("adds about noisePerLogin other records per login, at every level, none of them a login", () => {
    const noiseRatio = (log: DemoLogRecord[]) => log.filter((r) => !isLogin(r)).length / peopleLogins(log).length;
    expect(noiseRatio(records)).toBeGreaterThan(10);
    expect(noiseRatio(records)).toBeLessThan(15);
    const few = [...generateDemoRecords({ ...options, noisePerLogin: 3 })];
    expect(noiseRatio(few)).toBeGreaterThan(2.5);
    expect(noiseRatio(few)).toBeLessThan(4);
    expect([...generateDemoRecords({ ...options, noisePerLogin: 0 })].every(isLogin)).toBe(true);

    const noise = records.filter((r) => !isLogin(r));
    const count = (level: string) => noise.filter((r) => r.level === level).length;
    expect(count("DEBUG")).toBeGreaterThan(count("INFO"));
    expect(count("INFO")).toBeGreaterThan(count("WARNING"));
    expect(count("WARNING")).toBeGreaterThan(count("ERROR"));
    expect(count("ERROR")).toBeGreaterThan(count("CRITICAL"));
    expect(count("CRITICAL")).toBeGreaterThan(0);
    for (const r of noise) {
      expect(r.message).not.toMatch(/successful login/);
      expect(r.message).not.toMatch(/^set \[last_login\] for role/);
      expect(r.message).not.toMatch(/^login user \[/);
    }
    expect(noise.some((r) => r.message.startsWith("failed login") && r.level === "WARNING")).toBe(true);
    // The workers keep logging at night.
    expect(noise.filter((r) => r.created.getUTCHours() < 5).length).toBeGreaterThan(100);
  });

  it("rejects options it cannot use, as a usage error", () => {
    const bad: Partial<DemoDataOptions>[] = [
      { days: 0 },
      { days: 1.5 },
      { users: -1 },
      { seed: 0.5 },
      { end: new Date("2026-03-01T12:00:00Z") },
      { end: new Date(Number.NaN) },
      { end: new Date("1970-01-10T00:00:00Z") },
      { noisePerLogin: -1 },
    ];
    for (const change of bad) {
      expect(() => generateDemoRecords({ ...options, ...change })).toThrow(
        expect.objectContaining({ name: "HomeUsageError", code: "E_USAGE" }),
      );
    }
  });
});

describe("writeDemoData", () => {
  it("inserts everything once; run again, it finds every record present and writes nothing", async () => {
    // Smaller than the generator's fixture: FerretDB takes a while over every duplicate of the second run.
    const small: DemoDataOptions = { ...options, days: 14, users: 20 };
    const all = [...generateDemoRecords(small)];
    const logins = peopleLogins(all);
    expect(logins.length).toBeGreaterThan(50);
    const log = t.db.collection("sys.log");
    const batches: number[] = [];
    const summary = await writeDemoData(log, small, (written) => batches.push(written));
    expect(summary).toEqual({
      records: all.length,
      inserted: all.length,
      alreadyPresent: 0,
      logins: logins.length,
      people: new Set(logins.map(loginOf)).size,
      first: all[0]?.created,
      last: all.at(-1)?.created,
      firstLogin: all.find(isLogin)?.created,
    });
    expect(batches).toEqual([all.length]);
    expect(await log.countDocuments()).toBe(all.length);
    const stored = (await log.find<DemoLogRecord>({}).toArray()).filter((r) => isLogin(r) && loginOf(r) !== "admin");
    expect(stored).toHaveLength(summary.logins);
    expect(await log.findOne({ _id: logins[0]?._id })).toEqual(logins[0]);

    const again = await writeDemoData(log, small);
    expect(again).toEqual({ ...summary, inserted: 0, alreadyPresent: all.length });
    expect(await log.countDocuments()).toBe(all.length);
  });

  it("writes in batches of 5000, counting records already there as present", async () => {
    const log = t.db.collection("partly");
    const larger: DemoDataOptions = { days: 28, users: 35, seed: 3, end: new Date("2026-03-01T00:00:00Z") };
    const all = [...generateDemoRecords(larger)];
    expect(all.length).toBeGreaterThan(5000);
    expect(all.length).toBeLessThan(5500);
    // Kept to the short second batch: FerretDB inserts a batch that hits duplicates one record at a time, slowly.
    const present = all.filter((_, i) => i >= 5000 && i % 3 === 0);
    expect(present.length).toBeGreaterThan(5);
    await log.insertMany(present);
    const batches: number[] = [];
    const summary = await writeDemoData(log, larger, (written) => batches.push(written));
    expect(summary).toMatchObject({
      records: all.length,
      inserted: all.length - present.length,
      alreadyPresent: present.length,
    });
    expect(batches).toEqual([5000, all.length]);
    expect(await log.countDocuments()).toBe(all.length);
  });

  it("throws any other database error, as a database error", async () => {
    const write = writeDemoData(t.db.collection("sys$log"), { ...options, days: 1 });
    await expect(write).rejects.toBeInstanceOf(HomeUsageError);
    await expect(write).rejects.toMatchObject({ code: "E_DATABASE", message: expect.stringContaining("sys$log") });
  });
});

describe("writeDemoRoles", () => {
  it("writes core4 accounts for the people but a few deleted, admin, a few who never log in, two disabled, and groups; again, the same", async () => {
    const roles = t.db.collection("sys.role");
    // More than 100 documents: the second write replaces them in batches FerretDB answers.
    const summary = await writeDemoRoles(roles, { users: 120 });
    // 120 people less the six whose number ends in 19 or 39 ..., admin, five idle accounts; nine groups.
    expect(summary).toEqual({ accounts: 120, active: 118, disabled: 2, groups: 9 });
    expect(await writeDemoRoles(roles, { users: 120 })).toEqual(summary);
    expect(await roles.countDocuments()).toBe(129);
    const all = await roles.find().toArray();
    const accounts = all.filter((a) => typeof a.email === "string");
    expect(accounts).toHaveLength(120);
    for (const a of accounts) {
      expect(a).toMatchObject({ _id: expect.any(ObjectId), name: expect.any(String), is_active: expect.any(Boolean) });
      expect(a.email).toMatch(/@/);
    }
    // The role ids in the log are the accounts' ids, where the account is still there.
    const byName = new Map(accounts.map((a) => [a.name as string, (a._id as ObjectId).toHexString()]));
    const deleted = new Set<string>();
    for (const r of records) {
      const [, name, id] = r.message.match(ROLE_LOGIN) ?? r.message.match(USER_LOGIN) ?? [];
      if (name && byName.has(name)) expect(byName.get(name)).toBe(id);
      else if (name) deleted.add(name);
    }
    // The fixture's 30 people: number 19 has no account any more.
    expect([...deleted]).toEqual(["tina.krueger"]);
    const people = new Set(peopleLogins(records).map(loginOf));
    const idle = accounts.filter((a) => a.name !== "admin" && !people.has(a.name as string));
    expect(idle.length).toBeGreaterThanOrEqual(5);
    expect(accounts.filter((a) => a.is_active === false).map((a) => a.name)).toEqual(["rainer.vogel", "susi.engel"]);

    // Groups: no email; teams refer to their division, and people to their teams, by ObjectId.
    const groups = all.filter((a) => a.email === undefined);
    const groupById = new Map(groups.map((g) => [(g._id as ObjectId).toHexString(), g]));
    expect(groups.map((g) => g.name).sort()).toEqual(
      [
        "engineering",
        "legacy-reporting",
        "marketing",
        "mkt-analytics",
        "mkt-campaigns",
        "platform",
        "sales",
        "sales-north",
        "sales-south",
      ].sort(),
    );
    expect(groups.filter((g) => g.is_active === false).map((g) => g.name)).toEqual(["legacy-reporting"]);
    const parentOf = (name: string) =>
      ((groups.find((g) => g.name === name)?.role ?? []) as ObjectId[]).map(
        (id) => groupById.get(id.toHexString())?.name,
      );
    expect(parentOf("sales-north")).toEqual(["sales"]);
    expect(parentOf("platform")).toEqual(["engineering"]);
    expect(parentOf("sales")).toEqual([]);
    const teamsOf = (name: string) => {
      expect(byName.has(name)).toBe(true);
      return ((accounts.find((a) => a.name === name)?.role ?? []) as unknown[]).map((id) => {
        expect(id).toBeInstanceOf(ObjectId);
        return groupById.get((id as ObjectId).toHexString())?.name;
      });
    };
    // Person 0 (anna.schmidt) is in analytics and, as every thirteenth, in campaigns; 8 in no group.
    expect(teamsOf("anna.schmidt")).toEqual(["mkt-analytics", "mkt-campaigns"]);
    expect(teamsOf("david.fischer")).toEqual(["sales-north"]);
    expect(teamsOf("ida.schulz")).toEqual([]);
    expect(teamsOf("jonas.hoffmann")).toEqual(["legacy-reporting"]);
  });
});

describe("the demo's accounts that can sign in", () => {
  it("olga.berger (scrypt, api://home.usage) and admin (pbkdf2, cop) sign in with the README's passwords", async () => {
    const roles = t.db.collection<RoleDocument>("sys.role_signin");
    await writeDemoRoles(roles as never, { users: 3 });
    const signIn = createCore4SignIn({
      accounts: openAccounts(roles),
      permission: "api://home.usage",
      clock: () => new Date(),
    });
    expect(await signIn.signIn("olga.berger", "olga-demo-password")).toMatchObject({
      ok: true,
      method: "scrypt:32768:8:1",
    });
    expect(await signIn.signIn("admin", "admin-demo-password")).toMatchObject({
      ok: true,
      method: "pbkdf2:sha256:260000",
    });
    expect(await signIn.signIn("olga.berger", "admin-demo-password")).toEqual({ ok: false, reason: "wrong password" });
    // Only these two have a password.
    const others = await roles.countDocuments({ password: { $exists: true } });
    expect(others).toBe(2);
  }, 30_000);
});
