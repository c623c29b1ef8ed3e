// The home-usage command as a process: exit codes, one-line errors, the lock between two processes,
// and a run killed with SIGKILL part-way that a rerun completes exactly.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyEmbedToken } from "@home-usage/core";
import { writeDemoData } from "@home-usage/demo";
import { beforeAll, describe, expect, it } from "vitest";
import { startCli } from "../../../tools/test/cli.js";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";

const t = useTestDatabase("cli");
const NOW = "2026-06-30T12:00:00Z";

/** The environment of a run against the test database; `name` picks its rollup and cookie collections. */
function envFor(name: string, extra: Record<string, string> = {}) {
  return {
    PATH: process.env.PATH ?? "",
    ...databaseEnv(t, name, "sys.log"),
    HOME_USAGE_NOW: NOW,
    ...extra,
  };
}

const start = startCli;

const run = (args: string[], env: Record<string, string>) => start(args, env).done;

/** The rollup (days, longer periods, summaries) without write times, for comparing two runs. */
async function rollupOf(name: string) {
  type Doc = { _id: string; kind?: string; updated?: Date; [key: string]: unknown };
  const strip = ({ updated: _updated, ...rest }: Doc) => rest;
  const people = (await t.db.collection<Doc>(`login_${name}`).find().sort({ _id: 1 }).toArray()).map(strip);
  const summaries = await t.db.collection<Doc>(`login_${name}_period`).find().sort({ _id: 1 }).toArray();
  return {
    days: people.filter((d) => d.kind === "day"),
    periods: people.filter((d) => d.kind !== "day"),
    summaries: summaries.filter((p) => p._id !== "settings").map(strip),
  };
}

beforeAll(async () => {
  await writeDemoData(t.db.collection("sys.log"), { days: 150, users: 25, seed: 7, end: new Date("2026-06-29") });
});

describe("home-usage aggregate", () => {
  it("runs, prints a one-line summary, and status shows the cookie", async () => {
    const result = await run(["aggregate", "--start", "2026-06-01"], envFor("basic"));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^aggregated 30 days \(2026-06-01 to 2026-06-30\): \d+ records read, \d+ logins \(\d+ successful login, \d+ set last_login, \d+ login user\), \d+ distinct people/,
    );
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    // The demo log here has no index on created: said once, with the command, and nothing created.
    const advice = result.stderr.split("\n").filter((line) => line.includes("has no index on created"));
    expect(advice).toHaveLength(1);
    expect(advice[0]).toContain(`db.getSiblingDB("${t.name}").getCollection("sys.log").createIndex({ created: 1 })`);
    expect((await t.db.collection("sys.log").listIndexes().toArray()).map((i) => i.name)).toEqual(["_id_"]);
    const status = await run(["status", "--json"], envFor("basic"));
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      offset: "2026-06-30",
      lastRun: { outcome: "done", days: 30 },
      lock: null,
      rollup: { first: "2026-06-01", last: "2026-06-30", timezone: "UTC", unprocessed: [] },
      indexAdvice: expect.stringContaining("createIndex({ created: 1 })"),
    });
  });

  it("prints its summary as JSON with --log-format json", async () => {
    const result = await run(["aggregate", "--start", "2026-06-28", "--log-format", "json"], envFor("json"));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).summary).toMatchObject({ days: 3, first: "2026-06-28", last: "2026-06-30" });
  });

  const usageErrors: [string, string[], Record<string, string>, RegExp][] = [
    ["an unreadable start", ["aggregate", "--start", "someday"], {}, /^home-usage: --start: cannot read "someday"/],
    ["an end after today", ["aggregate", "--end", "2026-07-01"], {}, /^home-usage: --end: 2026-07-01 is after today/],
    [
      "an end before the start",
      ["aggregate", "--start", "2026-06-10", "--end", "2026-06-09"],
      {},
      /--end: 2026-06-09 is before the start/,
    ],
    ["an unknown option", ["aggregate", "--frobnicate"], {}, /^home-usage: unknown option '--frobnicate'/],
    ["an unknown command", ["aggregat"], {}, /^home-usage: unknown command 'aggregat'/],
    [
      "a bad time zone",
      ["aggregate"],
      { HOME_USAGE_TIMEZONE: "Mars/Olympus" },
      /^home-usage: HOME_USAGE_TIMEZONE: "Mars\/Olympus" is not an IANA time zone/,
    ],
    ["a bad time zone flag", ["aggregate", "--timezone", "CEST+2"], {}, /^home-usage: --timezone: "CEST\+2"/],
    [
      "a source without a database",
      ["aggregate"],
      { HOME_USAGE_SOURCE: "syslog" },
      /^home-usage: HOME_USAGE_SOURCE: "syslog" must be database.collection/,
    ],
    [
      "an unknown preset",
      ["aggregate"],
      { HOME_USAGE_LOGIN_PRESET: "ldap" },
      /^home-usage: HOME_USAGE_LOGIN_PRESET: "ldap" must be one of auto, seed, core4/,
    ],
    [
      "a bad start day",
      ["aggregate"],
      { HOME_USAGE_START: "last tuesday" },
      /^home-usage: HOME_USAGE_START: "last tuesday" must be a day/,
    ],
    ["a bad URI", ["aggregate"], { MONGODB_URI: "localhost:27017" }, /^home-usage: MONGODB_URI: must be a mongodb/],
    [
      "a missing config file",
      ["aggregate", "--config", "/nonexistent/home-usage.yaml"],
      {},
      /^home-usage: --config: cannot read \/nonexistent\/home-usage.yaml: ENOENT/,
    ],
    [
      "a bad log format",
      ["aggregate", "--log-format", "xml"],
      {},
      /^home-usage: option '--log-format <format>' argument 'xml' is invalid/,
    ],
    ["zero demo days", ["demo-data", "--days", "0"], {}, /^home-usage: option '--days <n>' argument '0' is invalid/],
  ];

  it.each(usageErrors)("exits 2 with one readable line and writes nothing on %s", async (_name, args, env, message) => {
    const result = await run(args, envFor("usage", env));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stdout).toBe("");
    expect(await t.db.collection("login_usage").countDocuments()).toBe(0);
    expect(await t.db.collection("cookie_usage").countDocuments()).toBe(0);
  });

  it("exits 2 before locking or writing when a login pattern cannot run here or on the database", async () => {
    const dir = await mkdtemp(join(tmpdir(), "home-usage-pattern-"));
    const config = async (name: string, pattern: string) => {
      const path = join(dir, name);
      await writeFile(path, JSON.stringify({ login: { pattern, user: { field: "user" } } }));
      return path;
    };
    // Unicode 16's Garay script: RE2 knows it, the bundled FerretDB does not (a real MongoDB neither).
    const refused = await run(["aggregate", "--config", await config("garay.json", "\\p{Garay}+")], envFor("usage"));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^home-usage: the database refuses the login pattern \\p\{Garay\}\+: /);
    const lookbehind = await run(["aggregate", "--config", await config("lb.json", "(?<=x)login")], envFor("usage"));
    expect(lookbehind.code).toBe(2);
    expect(lookbehind.stderr).toMatch(/login: pattern uses a lookbehind .* \(RE2\) cannot run/);
    expect(await t.db.collection("cookie_usage").countDocuments()).toBe(0);
  });

  it("exits 2 when the time zone changes under an existing rollup, and --reset rebuilds it", async () => {
    expect((await run(["aggregate", "--start", "2026-06-29"], envFor("zone"))).code).toBe(0);
    const before = await rollupOf("zone");
    const refused = await run(["aggregate"], envFor("zone", { HOME_USAGE_TIMEZONE: "Europe/Berlin" }));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/built with time zone UTC, not Europe\/Berlin: run aggregate --reset/);
    expect(await rollupOf("zone")).toEqual(before);
    const reset = await run(
      ["aggregate", "--reset"],
      envFor("zone", { HOME_USAGE_TIMEZONE: "Europe/Berlin", HOME_USAGE_START: "2026-06-29" }),
    );
    expect(reset.code).toBe(0);
    expect((await rollupOf("zone")).days.map((d) => d._id)).toEqual(["2026-06-29", "2026-06-30"]);
    const settings = await t.db.collection<{ _id: string }>("login_zone_period").findOne({ _id: "settings" });
    expect(settings).toMatchObject({ timezone: "Europe/Berlin", first: "2026-06-29", last: "2026-06-30" });
  });

  it("exits 1 within 10 s when the database is unreachable, saying it waits, how long, and what to check", async () => {
    const began = Date.now();
    const result = await run(["aggregate"], envFor("down", { MONGODB_URI: "mongodb://ops:s3cret@127.0.0.1:9/" }));
    expect(result.code).toBe(1);
    expect(Date.now() - began).toBeLessThan(10_000);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe("home-usage: waiting up to 5.0 s for MongoDB at mongodb://ops:***@127.0.0.1:9/ ...");
    expect(lines[1]).toMatch(
      /^home-usage: cannot reach MongoDB at mongodb:\/\/ops:\*\*\*@127.0.0.1:9\/ \(waited [45]\.\d s: /,
    );
    expect(lines[1]).toContain(
      "check the setting mongodbUri (MONGODB_URI, --mongodb-uri), or start the bundled database with pnpm db:start",
    );
    expect(result.stderr).not.toContain("s3cret");
  }, 15_000);

  it("lets exactly one of two concurrent runs proceed; the other exits 75 naming the holder", async () => {
    const env = envFor("concurrent");
    const [a, b] = await Promise.all([run(["aggregate"], env), run(["aggregate"], env)]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 75]);
    const loser = a.code === 75 ? a : b;
    expect(loser.stderr.trim()).toMatch(
      /^home-usage: another run holds the lock: pid \d+ on .+ since \d{4}-\d\d-\d\dT/,
    );
    expect(loser.stderr.trim().split("\n")).toHaveLength(1);
  }, 120_000);

  it("SIGTERM while the log is being read stops the run at once with 130, and status says how it ended", async () => {
    const env = envFor("sigterm");
    const { child, done } = start(["aggregate"], env);
    // The run holds its lock from before the scan starts until it ends.
    const lock = t.db.collection<{ _id: string }>("cookie_sigterm");
    while (!(await lock.findOne({ _id: "home-usage.aggregate.lock" }))) await new Promise((r) => setTimeout(r, 20));
    const sent = Date.now();
    child.kill("SIGTERM");
    const result = await done;
    const took = Date.now() - sent;
    expect(result.code).toBe(130);
    expect(result.stderr.trim()).toMatch(/^home-usage: interrupted/m);
    expect(took).toBeLessThan(5_000);
    expect(await lock.findOne({ _id: "home-usage.aggregate.lock" })).toBeNull();
    const status = await run(["status", "--json"], env);
    expect(JSON.parse(status.stdout)).toMatchObject({ lastRunLost: false });
  }, 60_000);

  it("after a SIGKILL part-way, a rerun gives the same rollup as an uninterrupted run", async () => {
    const whole = await run(["aggregate"], envFor("whole"));
    expect(whole.code).toBe(0);
    const expected = await rollupOf("whole");
    expect(expected.days.at(-1)?._id).toBe("2026-06-30");
    expect(expected.days.length).toBeGreaterThan(140);

    // A checkpoint after every day, so the kill falls between two of them.
    const env = envFor("killed", { HOME_USAGE_CHECKPOINT_MS: "0" });
    const { child, done } = start(["aggregate"], env);
    const cookies = t.db.collection<{ _id: string; offsetDay?: string }>("cookie_killed");
    // Kill once the run is well under way: some days written, most not.
    for (;;) {
      const cookie = await cookies.findOne({ _id: "home-usage.aggregate" });
      if (cookie?.offsetDay && cookie.offsetDay >= "2026-02-15") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    expect((await done).signal).toBe("SIGKILL");
    const partial = (await rollupOf("killed")).days;
    const offset = (await cookies.findOne({ _id: "home-usage.aggregate" }))?.offsetDay;
    expect(partial.length).toBeGreaterThan(10);
    expect(partial.length).toBeLessThan(expected.days.length);

    // The lock of the killed run is still there; its lease must expire before a rerun may take it.
    const locks = t.db.collection<{ _id: string; expires: Date }>("cookie_killed");
    expect(await locks.countDocuments({ _id: "home-usage.aggregate.lock" })).toBe(1);
    const blocked = await run(["aggregate"], env);
    expect(blocked.code).toBe(75);
    await locks.updateOne({ _id: "home-usage.aggregate.lock" }, { $set: { expires: new Date(Date.now() - 1) } });

    const rerun = await run(["aggregate"], env);
    expect(rerun.code).toBe(0);
    const resumedFrom = /\((\d{4}-\d\d-\d\d) to 2026-06-30\)/.exec(rerun.stdout)?.[1];
    // It resumes at the checkpoint: the last day written, or the one before if the kill fell between
    // writing a day and advancing the cookie. Either way it repeats at most one written day.
    expect(resumedFrom).toBe(offset);
    const redone = partial.filter((d) => String(d._id) >= String(offset)).length;
    expect(redone).toBeGreaterThanOrEqual(1);
    expect(redone).toBeLessThanOrEqual(2);
    expect(await rollupOf("killed")).toEqual(expected);
  }, 180_000);
});

describe("home-usage report, plot and embed-url", () => {
  beforeAll(async () => {
    const done = await run(["aggregate", "--start", "2026-06-01"], envFor("report"));
    expect(done.code).toBe(0);
  });

  it("report prints the same rows as the rollup holds, in each format", async () => {
    const args = ["report", "--start", "2026-06-01", "--end", "2026-06-30T12:00:00Z", "--aggregate", "m"];
    const json = await run([...args, "--format", "json"], envFor("report"));
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout);
    expect(rows).toHaveLength(1);
    const days = (await t.db.collection("login_report").find({ kind: "day" }).toArray()).filter(
      (d) => String(d._id) >= "2026-06-01",
    );
    const users = new Set(days.flatMap((d) => d.users.map((u: { user: string }) => u.user)));
    const logins = days.reduce((sum, d) => sum + d.logins, 0);
    expect(rows[0]).toMatchObject({
      timestamp: "2026-06-01T00:00:00.000Z",
      period: "2026-06",
      user: users.size,
      logins,
      partial: true,
      new: users.size,
      days: 30,
    });
    const csv = await run([...args, "--format", "csv"], envFor("report"));
    expect(csv.stdout).toMatch(
      new RegExp(
        `^timestamp,period,user,logins,partial,previous,.*\n2026-06-01T00:00:00.000Z,2026-06,${users.size},${logins},true,0,`,
      ),
    );
    const table = await run(args, envFor("report"));
    expect(table.stdout.split("\n")[0]).toMatch(/^timestamp {17}period {3}user {2}logins {2}partial {2}previous/);
    // --metric keeps that metric's columns in JSON too, as /raw?metric= does.
    const metric = await run([...args, "--format", "json", "--metric", "new"], envFor("report"));
    expect(JSON.parse(metric.stdout)).toEqual([
      { timestamp: "2026-06-01T00:00:00.000Z", period: "2026-06", partial: true, new: users.size },
    ]);
  });

  it("plot writes a PNG at 1× and 2×, the same bytes each time", async () => {
    const dir = await mkdtemp(join(tmpdir(), "home-usage-png-"));
    const args = ["plot", "--start", "2026-06-01", "--end", "2026-06-29", "--aggregate", "w", "--width", "600"];
    const size = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];
    const one = await run([...args, "--out", join(dir, "a.png")], envFor("report"));
    expect(one.code).toBe(0);
    const again = await run([...args, "--out", join(dir, "b.png")], envFor("report"));
    const two = await run([...args, "--scale", "2", "--theme", "dark", "--out", join(dir, "c.png")], envFor("report"));
    expect(two.code).toBe(0);
    const a = await readFile(join(dir, "a.png"));
    expect(size(a)).toEqual([600, 400]);
    expect((await readFile(join(dir, "b.png"))).equals(a)).toBe(true);
    expect(again.code).toBe(0);
    expect(size(await readFile(join(dir, "c.png")))).toEqual([1200, 800]);
  }, 90_000);

  it.each([
    [["report", "--aggregate", "constructor"], /^home-usage: aggregate: unknown "constructor"/],
    [["report", "--aggregate", "__proto__"], /^home-usage: aggregate: unknown "__proto__"/],
    [["plot", "--metric", "mau", "--out", "/tmp/x.svg"], /^home-usage: --metric: unknown "mau" \(use users, logins/],
    [["plot", "--theme", "pink", "--out", "/tmp/x.svg"], /^home-usage: --theme: unknown "pink"/],
    [["plot", "--scale", "3", "--out", "/tmp/x.png"], /^home-usage: --scale: must be 1 or 2/],
    [
      ["embed-url", "--aggregate", "constructor", "--base-url", "https://x.example"],
      /aggregate: unknown "constructor"/,
    ],
    [
      ["embed-url", "--expires", "999999999y", "--base-url", "https://x.example"],
      /--expires: "999999999y" is longer than 10 years/,
    ],
    [
      ["embed-url", "--title", "x".repeat(300), "--base-url", "https://x.example"],
      /--title: must be at most 200 characters/,
    ],
    [["embed-url", "--metric", "constructor", "--base-url", "https://x.example"], /--metric: unknown "constructor"/],
    [["embed-url"], /^home-usage: --base-url: say where the API is reached \(or set HOME_USAGE_PUBLIC_URL\)/],
  ])("%j is a usage error, exit 2", async (args, message) => {
    const result = await run(args, envFor("report", { HOME_USAGE_EMBED_SECRET: "cli-embed-secret-0123456789" }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("plot run through pnpm from a subfolder writes a relative --out where the user stood (INIT_CWD)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "home-usage-plot-"));
    const env = { ...envFor("report"), INIT_CWD: dir };
    const here = await run(["plot", "--start", "2026-06-01", "--out", "here.svg"], env);
    expect(here.stdout).toBe(`wrote ${join(dir, "here.svg")}: 5 weeks\n`);
    const svg = await readFile(join(dir, "here.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    // Its subtitle says the range as the API's does: to today's date, no time, when it runs to now.
    expect(svg).toMatch(/2026-06-01 – \d{4}-\d{2}-\d{2} · /);
  });

  it("plot on a rollup the job has not written yet says so in its subtitle, as the API's chart does", async () => {
    const dir = await mkdtemp(join(tmpdir(), "home-usage-plot-"));
    const out = join(dir, "empty.svg");
    const result = await run(["plot", "--out", out], envFor("never-run"));
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(out, "utf8")).toContain("as of the job has not run yet");
  });

  it("plot writes an SVG file, and refuses an output that is not .svg or .png", async () => {
    const dir = await mkdtemp(join(tmpdir(), "home-usage-plot-"));
    const out = join(dir, "usage.svg");
    const result = await run(
      ["plot", "--start", "2026-06-01", "--aggregate", "w", "--title", "June", "--out", out],
      envFor("report"),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`wrote ${out}: 5 weeks\n`);
    const svg = await readFile(out, "utf8");
    expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain(">June<");
    const bad = await run(["plot", "--out", join(dir, "usage.gif")], envFor("report"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`home-usage: --out: ${join(dir, "usage.gif")} must end in .svg or .png\n`);
    const nowhere = await run(["plot", "--out", "no/such/dir/usage.svg"], envFor("report"));
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toBe(
      "home-usage: --out: the directory no/such/dir does not exist; create it, or give another --out\n",
    );
  });

  it("embed-url prints a URL whose token the API will accept, and needs the secret", async () => {
    const secret = "cli-embed-secret-0123456789";
    const args = [
      "embed-url",
      "--aggregate",
      "m",
      "--title",
      "Usage",
      "--expires",
      "30d",
      "--base-url",
      "https://usage.example.com/",
    ];
    const missing = await run(args, envFor("report"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^home-usage: HOME_USAGE_EMBED_SECRET is not set/);
    const result = await run(args, envFor("report", { HOME_USAGE_EMBED_SECRET: secret }));
    expect(result.code).toBe(0);
    const token = /^https:\/\/usage.example.com\/usage\/login\/embed\/([\w-]+\.[\w-]+)\.svg\n$/.exec(
      result.stdout,
    )?.[1];
    expect(token).toBeDefined();
    expect(verifyEmbedToken(token as string, { secret, now: new Date(NOW) })).toEqual({
      aggregate: "m",
      title: "Usage",
    });
    expect(() => verifyEmbedToken(token as string, { secret, now: new Date("2026-08-01T00:00:00Z") })).toThrow(
      /expired/,
    );
    const fromSetting = await run(
      args.slice(0, -2),
      envFor("report", { HOME_USAGE_EMBED_SECRET: secret, HOME_USAGE_PUBLIC_URL: "https://public.example.com/wiki/" }),
    );
    expect(fromSetting.stdout).toMatch(
      /^https:\/\/public\.example\.com\/wiki\/usage\/login\/embed\/[\w-]+\.[\w-]+\.svg\n$/,
    );
    const bad = await run(
      [...args.slice(0, -2), "--base-url", "ftp://x"],
      envFor("report", { HOME_USAGE_EMBED_SECRET: secret }),
    );
    expect(bad.code).toBe(2);
  });
});
