import { verifyEmbedToken } from "@home-usage/core";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../tools/test/cli.js";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import type { Login } from "../../../tools/test/oracle.js";
import { comparableRetention, type RetentionOracleRow, retentionOracle } from "../../../tools/test/retention-oracle.js";

const t = useTestDatabase("cli_retention");
const NOW = "2026-06-17T12:00:00Z";
// A function: the test database is known only once `beforeAll` has run.
const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? "",
  ...databaseEnv(t),
  HOME_USAGE_NOW: NOW,
  HOME_USAGE_TIMEZONE: "Europe/Berlin",
  ...extra,
});

const run = (args: string[], extra: Record<string, string> = {}) => runCli(args, env(extra));

/** Nine months: a few newcomers every month, coming back every week or two for a while. */
const logins: Login[] = [];
for (let p = 0; p < 24; p++) {
  const joined = Date.parse("2025-09-15T08:00:00Z") + p * 11 * 86_400_000;
  for (let d = 0; d < 30 + p * 9 && joined + d * 86_400_000 < Date.parse(NOW); d += 5 + (p % 4) * 4) {
    logins.push({ user: `p${p}`, created: new Date(joined + d * 86_400_000) });
  }
}

beforeAll(async () => {
  await t.db
    .collection("sys.log")
    .insertMany(logins.map((l) => ({ created: l.created, message: "successful login", user: l.user })));
  const done = await run(["aggregate"]);
  expect(done.code, done.stderr).toBe(0);
}, 120_000);

const expected = (start: string, periods: number) =>
  retentionOracle(logins, {
    zone: "Europe/Berlin",
    first: "2025-09-15",
    last: "2026-06-17",
    kind: "month",
    start,
    end: NOW,
    periods,
    now: NOW,
  });

describe("home-usage retention", () => {
  it("prints the rows the independent count has, as JSON, CSV and a table with percentages", async () => {
    const json = await run([
      "retention",
      "--cohort",
      "month",
      "--start",
      "2025-09-01",
      "--periods",
      "6",
      "--format",
      "json",
    ]);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as RetentionOracleRow[];
    expect(comparableRetention(rows)).toEqual(expected("2025-09-01", 6));

    const csv = await run(["retention", "--cohort", "m", "--start", "2025-09-01", "--periods", "6", "--format", "csv"]);
    expect(csv.stdout.split("\n")[0]).toBe("cohort,cohortStart,size,k,period,active,share,partial");
    expect(csv.stdout.trim().split("\n")).toHaveLength(rows.length + 1);

    const table = await run(["retention", "--cohort", "month"]);
    expect(table.code).toBe(0);
    const want = expected("2025-07-01", 12);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^cohort +cohortStart +size +k +period +active +share +partial$/);
    expect(lines).toHaveLength(want.length + 1);
    want.forEach((r, i) => {
      const cells = (lines[i + 1] ?? "").trim().split(/ +/);
      expect(cells).toEqual([
        r.cohort,
        expect.any(String),
        String(r.size),
        String(r.k),
        r.period,
        String(r.active),
        `${(r.share * 100).toFixed(1)}%`,
        r.partial ? "yes" : "no",
      ]);
    });
  });

  it("embed-url --retention signs the heatmap's arguments, --periods among them", async () => {
    const secret = "cli-retention-secret-0123456789";
    const args = [
      "embed-url",
      "--retention",
      "--cohort",
      "month",
      "--periods",
      "6",
      "--base-url",
      "https://wiki.example",
    ];
    const done = await run(args, { HOME_USAGE_EMBED_SECRET: secret });
    expect(done.code, done.stderr).toBe(0);
    const token = /^https:\/\/wiki\.example\/usage\/login\/retention\/embed\/([\w.-]+)\.svg\n$/.exec(done.stdout)?.[1];
    expect(verifyEmbedToken(token ?? "", { secret, now: new Date(NOW) })).toEqual({
      chart: "retention",
      cohort: "month",
      periods: "6",
    });
    const wrong = await run([...args, "--aggregate", "w"], { HOME_USAGE_EMBED_SECRET: secret });
    expect(wrong.code).toBe(2);
  });

  it.each([
    [["--cohort", "quarter"], 'home-usage: --cohort: unknown "quarter" (use w, week, m or month)\n'],
    [["--cohort", "month", "--periods", "0"], "home-usage: --periods: must be a whole number from 1 to 52\n"],
    [["--cohort", "month", "--start", "2026-05-01", "--end", "2026-04-01"], /^home-usage: end: .* is not after start/],
    [["--cohort", "month", "--format", "pdf"], /^home-usage: option '--format <format>' argument 'pdf' is invalid/],
  ])("exits 2 with one readable line for %j", async (args, message) => {
    const done = await run(["retention", ...args]);
    expect(done.code).toBe(2);
    expect(done.stdout).toBe("");
    expect(done.stderr.split("\n")).toHaveLength(2);
    if (typeof message === "string") expect(done.stderr).toBe(message);
    else expect(done.stderr).toMatch(message);
  });
});
