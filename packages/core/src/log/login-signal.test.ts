import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../../../../tools/test/database.js";
import { loadConfig } from "../settings/config.js";
import {
  checkLoginSignalOnDatabase,
  compileLoginSignal,
  frequentMessages,
  type LogRecord,
  loginPreset,
} from "./login-signal.js";

const t = useTestDatabase("login_signal");
const at = (minute: number) => new Date(Date.UTC(2026, 10, 2, 8, minute));

// A log in all three login styles, with records that look like logins and are not.
const LOG: LogRecord[] = [
  { message: "successful login", user: "anna" },
  { message: "set [last_login] for role [ben] with _id [5f1a2b3c4d5e6f7a8b9c0d1e]" },
  { message: "login user [clara] with _id [5f1a2b3c4d5e6f7a8b9c0d1f]" },
  { message: "successful login", user: "admin" },
  { message: "set [last_login] for role [admin] with _id [5f1a2b3c4d5e6f7a8b9c0d20]" },
  // A record in two styles at once counts once, as the first style that yields a user.
  { message: "successful login", user: "dora" },
  // Look-alikes.
  { message: "set [last_login_attempt] for role [eve] with _id [5f1a2b3c4d5e6f7a8b9c0d21]" },
  { message: "login user failed" },
  { message: "unsuccessful login", user: "frank" },
  { message: "failed login of user [gina] from [10.0.0.7]" },
  { message: "successful login" }, // no user field
  { message: "set [last_login] for role [] with _id [1]" },
  { message: 42, user: "hans" },
].map((r, i) => ({ ...r, created: at(i) }));

describe("the login signal", () => {
  beforeAll(async () => {
    await t.db.collection("sys.log").insertMany(LOG.map((r) => ({ ...r })));
  });

  it("auto, the default, counts each of the three styles once and nothing that only looks alike", async () => {
    const config = await loadConfig();
    const matcher = compileLoginSignal(config.login);
    const candidates = await t.db
      .collection<LogRecord>("sys.log")
      .find(matcher.filter, { projection: matcher.projection })
      .sort({ created: 1 })
      .toArray();
    const found = candidates.map((r) => matcher.match(r)).filter((m) => m !== null);
    expect(found).toEqual([
      { user: "anna", signal: "successful login" },
      { user: "ben", signal: "set last_login" },
      { user: "clara", signal: "login user" },
      { user: "admin", signal: "successful login" },
      { user: "admin", signal: "set last_login" },
      { user: "dora", signal: "successful login" },
    ]);
    expect(found.filter((m) => !matcher.excludes(m.user)).map((m) => m.user)).toEqual(["anna", "ben", "clara", "dora"]);
    expect(matcher.signals).toEqual(["successful login", "set last_login", "login user"]);
    expect(matcher.match({ message: "login user [clara] with _id [1]" })?.user).toBe("clara");
  });

  it("keeps seed and core4 as presets of one style each", () => {
    const seed = compileLoginSignal(loginPreset("seed"));
    const core4 = compileLoginSignal(loginPreset("core4"));
    const records = LOG.slice(0, 3);
    expect(records.map((r) => seed.match(r)?.user ?? null)).toEqual(["anna", null, null]);
    expect(records.map((r) => core4.match(r)?.user ?? null)).toEqual([null, "ben", null]);
  });

  it("activity counts what auto counts, and core4's access-log records below 400 of a named person", async () => {
    const request = (status: string, user: string, method = "GET") =>
      `[${status}] [${method} /core4/api/v1/roles] in [12.34ms] by [${user}] from [app-01.core4.local]`;
    const access = [
      request("200", "ann"),
      request("302", "bob", "POST"),
      request("399", "cid"),
      request("200", "None"), // anonymous
      request("404", "dee"), // refused
      request("400", "eve"),
      request("500", "fay", "PUT"),
      request("200", "admin"),
      request("200", "Nonesuch"), // a name that starts like None
      request("200", "Non"),
      // Look-alikes: not core4's access-log line.
      "200 GET /core4/api/v1/roles (10.0.0.1) 12.34ms",
      `served ${request("200", "gus")}`,
      "[200] [GET /core4/api/v1/roles] in [fast] by [hal] from [app-01]",
      "[2000] [GET /x] in [1.00ms] by [ivy] from [app-01]",
      "[200] [GET /x] in [1.00ms] by [] from [app-01]",
    ];
    const log = t.db.collection<LogRecord>("access");
    await log.insertMany(
      [...LOG, ...access.map((message, i) => ({ message, created: at(30 + i) }))].map((r) => ({ ...r })),
    );
    const matcher = compileLoginSignal(loginPreset("activity"));
    // One query: the four styles in one regular expression on `message`.
    expect(Object.keys(matcher.filter)).toEqual(["message"]);
    expect(typeof matcher.filter.message.$regex).toBe("string");
    const candidates = await log
      .find(matcher.filter, { projection: matcher.projection })
      .sort({ created: 1 })
      .toArray();
    // The database already leaves out the anonymous requests and the refused ones.
    expect(candidates.map((r) => r.message).filter((m) => /by \[None\]|^\[[45]/.test(String(m)))).toEqual([]);
    const people = candidates
      .map((r) => matcher.match(r))
      .filter((m) => m !== null && !matcher.excludes(m.user))
      .map((m) => `${m?.user} ${m?.signal}`);

    // The independent answer: core4's line read with a plain expression, its status and name checked here.
    const line = /^\[(\d{3})\] \[[A-Z]+ \S*\] in \[[\d.]+ms\] by \[([^\]]+)\] from \[/;
    const fromAccess = access.flatMap((m) => {
      const [, status, user] = line.exec(m) ?? [];
      return status && user && Number(status) < 400 && user !== "None" && user !== "admin"
        ? [`${user} access log`]
        : [];
    });
    expect(fromAccess).toEqual([
      "ann access log",
      "bob access log",
      "cid access log",
      "Nonesuch access log",
      "Non access log",
    ]);
    expect(people).toEqual([
      "anna successful login",
      "ben set last_login",
      "clara login user",
      "dora successful login",
      ...fromAccess,
    ]);
    expect(matcher.signals).toEqual(["successful login", "set last_login", "login user", "access log"]);
    // auto never counts a request.
    const auto = compileLoginSignal(loginPreset("auto"));
    expect(access.map((message) => auto.match({ message }))).toEqual(access.map(() => null));
  });

  it("matches in linear time, so a pattern that backtracks in JavaScript cannot hang a run", () => {
    const matcher = compileLoginSignal({ any: [{ pattern: "(?<user>(a+)+)b", user: { group: "user" } }], exclude: [] });
    const began = Date.now();
    expect(matcher.match({ message: `${"a".repeat(5_000)}c` })).toBeNull();
    expect(matcher.match({ message: "aab" })).toEqual({ user: "aa", signal: "(?<user>(a+)+)b" });
    expect(Date.now() - began).toBeLessThan(1_000);
  });

  it("refuses patterns RE2 cannot run, in words", () => {
    expect(() => compileLoginSignal({ any: [{ pattern: "(?<=x)y", user: { field: "user" } }], exclude: [] })).toThrow(
      /uses a lookbehind/,
    );
  });

  it("checks a pattern on the database before a run, as a usage error", async () => {
    const log = t.db.collection("sys.log");
    await expect(checkLoginSignalOnDatabase(log, loginPreset("auto"))).resolves.toBeUndefined();
    // A script of Unicode 16: RE2 knows it, the bundled FerretDB (Go 1.24, Unicode 15) does not.
    const garay = { any: [{ pattern: "\\p{Garay}+ login", user: { field: "user" } }], exclude: [] };
    await expect(checkLoginSignalOnDatabase(log, garay)).rejects.toMatchObject({
      code: "E_USAGE",
      message: expect.stringMatching(/^the database refuses the login pattern \\p\{Garay\}\+ login: /),
    });
  });

  it("finds the most frequent messages, with their variable parts blanked", async () => {
    const log = t.db.collection("noisy");
    await log.insertMany([
      ...Array.from({ length: 5 }, (_, i) => ({ message: `enter [work_jobs] at cycle [${i}]` })),
      ...Array.from({ length: 4 }, (_, i) => ({ message: `user u${i} logged in`, created: at(i) })),
      ...Array.from({ length: 3 }, (_, i) => ({ message: `200 GET /core4/api/v1/jobs (10.0.0.${i}) ${i}.5ms` })),
      { message: "once" },
      { created: at(1) },
    ]);
    expect(await frequentMessages(log, { limit: 3 })).toEqual([
      { message: "enter [...] at cycle [...]", count: 5 },
      { message: "user u<n> logged in", count: 4 },
      { message: "<n> GET /core<n>/api/v<n>/jobs (<n>) <n>ms", count: 3 },
    ]);
  });
});
