import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileLoginSignal } from "../log/login-signal.js";
import { clockOf, loadConfig } from "./config.js";

async function file(name: string, content: string) {
  const path = join(await mkdtemp(join(tmpdir(), "home-usage-config-")), name);
  await writeFile(path, content);
  return path;
}

describe("loadConfig", () => {
  it("has defaults that need nothing set", async () => {
    const config = await loadConfig();
    expect(config).toMatchObject({
      mongodbUri: "mongodb://127.0.0.1:27017",
      source: { db: "core4", collection: "sys.log" },
      target: { db: "home", collection: "login" },
      cookies: { db: "home", collection: "sys.cookie" },
      timezone: "UTC",
      periods: { db: "home", collection: "login_period" },
      roles: { db: "core4", collection: "sys.role" },
      maxRunDays: 7305,
      trustProxy: false,
      queryTimeoutMs: 30_000,
      reportConcurrency: 2,
      reportQueue: 16,
      loginPreset: "auto",
    });
    expect(compileLoginSignal(config.login).signals).toEqual(["successful login", "set last_login", "login user"]);
    expect(config.start).toBeUndefined();
    expect(config.publicUrl).toBeUndefined();
    expect(config.sessionSecret).toBeUndefined();
  });

  it("derives the periods collection from the target unless it is set", async () => {
    expect((await loadConfig({ env: { HOME_USAGE_TARGET: "a.rollup" } })).periods).toEqual({
      db: "a",
      collection: "rollup_period",
    });
    const both = await loadConfig({ env: { HOME_USAGE_TARGET: "a.rollup" }, flags: { periods: "b.p" } });
    expect(both.periods).toEqual({ db: "b", collection: "p" });
  });

  it("reads booleans, numbers and URLs from strings, and booleans from flags", async () => {
    const config = await loadConfig({
      env: {
        HOME_USAGE_TRUST_PROXY: "yes",
        HOME_USAGE_MAX_RUN_DAYS: "366",
        HOME_USAGE_PUBLIC_URL: "https://usage.example.com/base",
        HOME_USAGE_SESSION_SECRET: "0123456789abcdef",
      },
    });
    expect(config).toMatchObject({
      trustProxy: true,
      maxRunDays: 366,
      publicUrl: "https://usage.example.com/base",
      sessionSecret: "0123456789abcdef",
    });
    expect((await loadConfig({ env: { HOME_USAGE_TRUST_PROXY: "1" }, flags: { trustProxy: false } })).trustProxy).toBe(
      false,
    );
  });

  it("takes a file over defaults, the environment over the file, and flags over everything", async () => {
    const path = await file("c.yaml", "timezone: Europe/Berlin\nsource: a.log\ntarget: a.rollup\nstart: 2026-01-01\n");
    const config = await loadConfig({
      file: path,
      env: { HOME_USAGE_SOURCE: "b.log", HOME_USAGE_TARGET: "b.rollup", UNRELATED: "x" },
      flags: { target: "c.rollup" },
    });
    expect(config.timezone).toBe("Europe/Berlin");
    expect(config.start).toBe("2026-01-01");
    expect(config.source).toEqual({ db: "b", collection: "log" });
    expect(config.target).toEqual({ db: "c", collection: "rollup" });
  });

  it("reads JSON files, and a custom login signal as the README shows it", async () => {
    const yaml = await file(
      "login.yml",
      'login:\n  pattern: "^user (?<user>\\\\S+) logged in"\n  user: { group: user }\n  exclude: [admin, monitoring]\n',
    );
    const config = await loadConfig({ file: yaml });
    expect(config.loginPreset).toBe("custom");
    const matcher = compileLoginSignal(config.login);
    expect(matcher.match({ message: "user anna logged in" })?.user).toBe("anna");
    expect(matcher.excludes("monitoring")).toBe(true);
    expect(matcher.filter).toEqual({ message: { $regex: "^user (\\S+) logged in" } });
    expect(matcher.signals).toEqual(["^user (?<user>\\S+) logged in"]);

    const json = await file("c.json", JSON.stringify({ loginPreset: "core4", lockLeaseSeconds: 30 }));
    const core4 = await loadConfig({ file: json });
    expect(core4.lockLeaseSeconds).toBe(30);
    expect(
      compileLoginSignal(core4.login).match({ message: "set [last_login] for role [ben] with _id [1]" })?.user,
    ).toBe("ben");
  });

  it.each([
    [{ env: { HOME_USAGE_TIMEZONE: "Berlin" } }, 'HOME_USAGE_TIMEZONE: "Berlin" is not an IANA time zone'],
    [{ flags: { timezone: "Berlin" } }, '--timezone: "Berlin" is not an IANA time zone'],
    [{ env: { HOME_USAGE_SOURCE: "nodot" } }, 'HOME_USAGE_SOURCE: "nodot" must be database.collection'],
    [{ env: { HOME_USAGE_START: "2026-1-1" } }, 'HOME_USAGE_START: "2026-1-1" must be a day as YYYY-MM-DD'],
    [{ env: { MONGODB_URI: "http://u:pw@x" } }, "MONGODB_URI: must be a mongodb://"],
    [{ env: { HOME_USAGE_API_TOKENS: "short" } }, "HOME_USAGE_API_TOKENS: each token must be at least 16 characters"],
    [{ env: { PORT: "http" } }, 'PORT: "http" must be a TCP port number'],
    [{ flags: { now: "soon" } }, '--now: "soon" must be an ISO 8601 date-time'],
    [{ flags: { loginPreset: "custom" } }, '--login-preset: "custom" needs a login section'],
    [{ env: { HOME_USAGE_LOGIN_PRESET: "ldap" } }, 'HOME_USAGE_LOGIN_PRESET: "ldap" must be one of auto, seed, core4'],
    [{ env: { HOME_USAGE_PUBLIC_URL: "ftp://x" } }, 'HOME_USAGE_PUBLIC_URL: "ftp://x" must be an http:// or https://'],
    [{ env: { HOME_USAGE_TRUST_PROXY: "maybe" } }, 'HOME_USAGE_TRUST_PROXY: "maybe" must be true or false'],
    [{ env: { HOME_USAGE_SESSION_SECRET: "short" } }, "HOME_USAGE_SESSION_SECRET: must be at least 16 characters"],
    [{ flags: { maxRunDays: "0" } }, '--max-run-days: "0" must be a whole number from 1'],
    [{ env: { HOME_USAGE_QUERY_TIMEOUT_MS: "fast" } }, 'HOME_USAGE_QUERY_TIMEOUT_MS: "fast" must be a whole number'],
    [{ env: { HOME_USAGE_REPORT_QUEUE: "-1" } }, 'HOME_USAGE_REPORT_QUEUE: "-1" must be a whole number'],
    [{ env: { HOME_USAGE_ROLES: "roles" } }, 'HOME_USAGE_ROLES: "roles" must be database.collection'],
  ])("names the source of a bad value: %j", async (sources, message) => {
    await expect(loadConfig(sources)).rejects.toMatchObject({
      code: "E_USAGE",
      message: expect.stringContaining(message),
    });
  });

  it("names the file and key of a bad file", async () => {
    const unknown = await file("u.yaml", "timezon: UTC\n");
    await expect(loadConfig({ file: unknown })).rejects.toThrow(`--config: ${unknown}: the file: unknown key timezon`);
    const badGroup = await file("g.yaml", "login:\n  pattern: successful\n  user: { group: who }\n");
    await expect(loadConfig({ file: badGroup })).rejects.toThrow('the pattern has no group named "who"');
    const broken = await file("b.json", "{ nope");
    await expect(loadConfig({ file: broken })).rejects.toThrow(`--config: ${broken} is not valid JSON`);
    const lease = await file("l.yaml", "lockLeaseSeconds: 1\n");
    await expect(loadConfig({ file: lease })).rejects.toThrow(`${lease}: lockLeaseSeconds:`);
    const lookbehind = await file(
      "lb.yaml",
      'login:\n  pattern: "(?<=user )(?<user>\\\\S+)"\n  user: { group: user }\n',
    );
    await expect(loadConfig({ file: lookbehind })).rejects.toThrow(
      /login: pattern uses a lookbehind .* which the linear-time matcher \(RE2\) cannot run/,
    );
    const backreference = await file("br.yaml", 'login:\n  pattern: "(?<user>a)\\\\1"\n  user: { group: user }\n');
    await expect(loadConfig({ file: backreference })).rejects.toThrow(/uses a backreference/);
  });

  it("reads the API's settings: public URL, proxy trust, sessions, query budget and concurrency", async () => {
    expect(await loadConfig()).toMatchObject({
      trustProxy: false,
      queryTimeoutMs: 30_000,
      reportConcurrency: 2,
      reportQueue: 16,
    });
    const config = await loadConfig({
      env: {
        HOME_USAGE_PUBLIC_URL: "https://usage.example.com/tools/",
        HOME_USAGE_TRUST_PROXY: "true",
        HOME_USAGE_SESSION_SECRET: "session-secret-0123456789",
        HOME_USAGE_QUERY_TIMEOUT_MS: "5000",
        HOME_USAGE_REPORT_CONCURRENCY: "4",
        HOME_USAGE_REPORT_QUEUE: "0",
      },
      flags: { queryTimeoutMs: "7000" },
    });
    expect(config).toMatchObject({
      publicUrl: "https://usage.example.com/tools",
      trustProxy: true,
      sessionSecret: "session-secret-0123456789",
      queryTimeoutMs: 7000,
      reportConcurrency: 4,
      reportQueue: 0,
    });
  });

  it.each([
    [{ HOME_USAGE_PUBLIC_URL: "usage.example.com" }, /^HOME_USAGE_PUBLIC_URL: "usage.example.com" must be an http/],
    [{ HOME_USAGE_PUBLIC_URL: "https://x.example/?a=1" }, /must have no query or fragment/],
    [{ HOME_USAGE_TRUST_PROXY: "maybe" }, /^HOME_USAGE_TRUST_PROXY: "maybe" must be true or false/],
    [{ HOME_USAGE_QUERY_TIMEOUT_MS: "10" }, /^HOME_USAGE_QUERY_TIMEOUT_MS: "10" must be a whole number from 100/],
    [{ HOME_USAGE_REPORT_CONCURRENCY: "0" }, /must be a whole number from 1 to 64/],
    [{ HOME_USAGE_SESSION_SECRET: "short" }, /^HOME_USAGE_SESSION_SECRET: must be at least 16 characters/],
  ])("refuses %j naming the variable", async (env, message) => {
    await expect(loadConfig({ env })).rejects.toThrow(message);
  });
});

describe("clockOf", () => {
  it("is HOME_USAGE_NOW when it is set, else the wall clock", async () => {
    const fixed = clockOf(await loadConfig({ env: { HOME_USAGE_NOW: "2026-11-01T12:00:00Z" } }));
    expect(fixed().toISOString()).toBe("2026-11-01T12:00:00.000Z");
    const wall = clockOf(await loadConfig({ env: {} }));
    const before = Date.now();
    const now = wall().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
