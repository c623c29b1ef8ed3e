// The tarballs of `pnpm release:pack`, installed with npm into an empty prefix outside the repository, as
// an operator would: the commands run, the job aggregates the test database, and the API answers, its
// charts (worker thread and shipped fonts) drawn from wherever npm put them.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProcess } from "../test/cli.js";
import { databaseEnv, useTestDatabase } from "../test/database.js";
// @ts-expect-error -- plain ESM script, also run as `pnpm release:pack`
import { npm, packReleases } from "./pack.mjs";

const t = useTestDatabase("release");
const NOW = "2026-11-25T12:00:00Z";
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The logins written below, by person and instant: the independent answer is counted from these. */
const LOGINS: [string, string][] = [
  ["ann", "2026-11-16T08:00:00Z"],
  ["ann", "2026-11-22T08:00:00Z"],
  ["bob", "2026-11-18T08:00:00Z"],
  ["bob", "2026-11-18T09:00:00Z"],
  ["cid", "2026-11-24T08:00:00Z"],
];

let work: string;
let prefix: string;
let tarballs: string[];

/** Only what an operator's shell would give: a PATH whose `node` is the one under test, and the settings. */
function envOf(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: [join(prefix, "bin"), dirname(process.execPath), process.env.PATH ?? ""].join(delimiter),
    HOME: work,
    ...databaseEnv(t),
    HOME_USAGE_NOW: NOW,
    ...extra,
  };
}

const start = (command: string, args: string[], env = envOf()) =>
  startProcess(join(prefix, "bin", command), args, { env, cwd: work });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "home-usage-release-"));
  prefix = join(work, "prefix");
  tarballs = await packReleases(join(work, "release"));
  // From npm's cache where it can: CI installs the same tarballs' dependencies on every run.
  npm(["install", "--global", "--prefix", prefix, "--prefer-offline", ...tarballs], work);
  await t.db
    .collection("sys.log")
    .insertMany([
      ...LOGINS.map(([user, created]) => ({ created: new Date(created), message: "successful login", user })),
      { created: new Date("2026-11-18T10:00:00Z"), message: "unsuccessful login", user: "eve" },
    ]);
}, 600_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the release tarballs", () => {
  it("are one per program, named as on npm, with no workspace dependency", async () => {
    expect(tarballs.map((file) => file.slice(file.lastIndexOf("/") + 1)).sort()).toEqual([
      "home-usage-0.1.0.tgz",
      "home-usage-api-0.1.0.tgz",
    ]);
    for (const name of ["home-usage", "home-usage-api"]) {
      const manifest = await readFile(join(prefix, "lib", "node_modules", name, "package.json"), "utf8");
      expect(manifest).not.toContain("workspace:");
      expect(manifest).not.toContain("@home-usage/");
    }
    // Installed outside the repository: nothing above the prefix can lend a module or a font.
    expect(existsSync(join(work, "node_modules"))).toBe(false);
    expect(await readdir(join(prefix, "bin"))).toEqual(expect.arrayContaining(["home-usage", "home-usage-api"]));
  });

  it("give home-usage and home-usage-api commands that show their help", async () => {
    const cli = await start("home-usage", ["--help"]).done;
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^Usage: home-usage \[options\] \[command\]/);
    expect(cli.stdout).toContain("aggregate");
    const api = await start("home-usage-api", ["--help"]).done;
    expect(api.code).toBe(0);
    expect(api.stdout).toMatch(/^Usage: home-usage-api \[options\]/);
    expect(cli.stderr + api.stderr).toBe("");
  });

  it("aggregate the test database, and report and plot it, as installed", async () => {
    const aggregate = await start("home-usage", ["aggregate", "--start", "2026-11-16", "--end", "2026-11-24"]).done;
    expect(aggregate.stderr).not.toMatch(/Error|Warning/);
    expect(aggregate.code).toBe(0);
    const inRange = LOGINS.filter(([, created]) => created < "2026-11-25");
    const people = new Set(inRange.map(([user]) => user)).size;
    expect(aggregate.stdout).toMatch(
      new RegExp(
        `^aggregated 9 days \\(2026-11-16 to 2026-11-24\\): .*${inRange.length} logins.*${people} distinct people`,
      ),
    );

    const report = await start("home-usage", [
      "report",
      "--start",
      "2026-11-16",
      "--end",
      "2026-11-30",
      "--aggregate",
      "w",
      "--format",
      "json",
    ]).done;
    expect(report.code).toBe(0);
    const rows = JSON.parse(report.stdout) as { period: string; user: number; logins: number }[];
    const week = (from: string, to: string) => inRange.filter(([, c]) => c >= from && c < to);
    const w47 = week("2026-11-16", "2026-11-23");
    const w48 = week("2026-11-23", "2026-11-30");
    expect(rows.map(({ period, user, logins }) => ({ period, user, logins }))).toEqual([
      { period: "2026-W47", user: new Set(w47.map(([u]) => u)).size, logins: w47.length },
      { period: "2026-W48", user: new Set(w48.map(([u]) => u)).size, logins: w48.length },
    ]);

    // The PNG needs the fonts shipped in the tarball: no repository above to find them in.
    const out = join(work, "usage.png");
    const plot = await start("home-usage", ["plot", "--start", "2026-11-16", "--aggregate", "d", "--out", out]).done;
    expect(plot.code).toBe(0);
    expect((await readFile(out)).subarray(0, 8)).toEqual(PNG_SIGNATURE);
  }, 60_000);

  it("serve /healthz and charts from the installed API", async () => {
    const api = start("home-usage-api", ["--port", "0"]);
    try {
      const base = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("home-usage-api did not listen within 20 s")), 20_000);
        let seen = "";
        api.child.stderr?.on("data", (d) => {
          seen += d;
          const url = /listening on (http:\/\/[\d.:]+)/.exec(seen)?.[1];
          if (url) {
            clearTimeout(timer);
            resolve(url);
          }
        });
        api.done.then((r) => reject(new Error(`home-usage-api exited ${r.code}: ${r.stderr}`)));
      });
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ code: 200 });

      const query = "start=2026-11-16&end=2026-11-25&aggregate=d";
      const svg = await fetch(`${base}/usage/login/plot.svg?${query}`);
      expect(svg.status).toBe(200);
      expect(svg.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
      expect(await svg.text()).toMatch(/^<svg[^>]*role="img"/);
      const png = await fetch(`${base}/usage/login/plot.png?${query}`);
      expect(png.status).toBe(200);
      expect(Buffer.from(await png.arrayBuffer()).subarray(0, 8)).toEqual(PNG_SIGNATURE);
    } finally {
      api.child.kill("SIGTERM");
      const stopped = await api.done;
      expect(stopped.stderr).not.toMatch(/Error|Warning|chart worker/);
    }
  }, 60_000);
});
