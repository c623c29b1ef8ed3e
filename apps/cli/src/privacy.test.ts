// HOME_USAGE_NAMES for `home-usage users`, as a process, in each mode and format. The people and their
// pseudonyms are tools/test/people.ts's.
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../tools/test/cli.js";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { ACCOUNTS, PEOPLE, PEOPLE_LOGINS, PERSONAL, pseudonymWith } from "../../../tools/test/people.js";

const t = useTestDatabase("cli_privacy");
const NOW = "2026-11-25T12:00:00Z";
const SECRET = "pseudonym-secret-for-cli-tests-0";
const expectedPseudonym = pseudonymWith(SECRET);

const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? "",
  ...databaseEnv(t),
  HOME_USAGE_NOW: NOW,
  ...extra,
});

const run = runCli;

beforeAll(async () => {
  await t.db.collection("sys.log").insertMany(PEOPLE_LOGINS.map((l) => ({ ...l })));
  await t.db.collection("role").insertMany(ACCOUNTS.map((a) => ({ ...a })));
  const done = await run(["aggregate"], env());
  expect(done.code, done.stderr).toBe(0);
}, 60_000);

describe("home-usage users and HOME_USAGE_NAMES", () => {
  it("shows names by default", async () => {
    const { code, stdout } = await run(["users", "--format", "csv"], env());
    expect(code).toBe(0);
    for (const name of PEOPLE) expect(stdout).toContain(name);
  });

  it("shows keyed pseudonyms in every format with --names pseudonymous, the same in every run", async () => {
    const runs: string[] = [];
    for (const format of ["table", "csv", "json"]) {
      const { code, stdout, stderr } = await run(
        ["users", "--names", "pseudonymous", "--format", format],
        env({ HOME_USAGE_PSEUDONYM_SECRET: SECRET }),
      );
      expect(code, stderr).toBe(0);
      for (const name of PEOPLE) expect(stdout, format).toContain(expectedPseudonym(name));
      for (const word of PERSONAL) expect(stdout, `${format}: ${word}`).not.toContain(word);
      runs.push(stdout);
    }
    const again = await run(
      ["users", "--format", "table"],
      env({ HOME_USAGE_NAMES: "pseudonymous", HOME_USAGE_PSEUDONYM_SECRET: SECRET }),
    );
    expect(again.stdout).toBe(runs[0]);
  });

  it("refuses pseudonymous names without the secret, with a usage error that shows no secret", async () => {
    const { code, stderr } = await run(["users", "--names", "pseudonymous"], env());
    expect(code).toBe(2);
    expect(stderr).toContain("HOME_USAGE_PSEUDONYM_SECRET");
    const short = await run(["users"], env({ HOME_USAGE_PSEUDONYM_SECRET: "short-secret" }));
    expect(short.code).toBe(2);
    expect(short.stderr).not.toContain("short-secret");
  });

  it("exits 2 naming HOME_USAGE_NAMES when names are hidden, and prints none", async () => {
    for (const names of [["--names", "hidden"], []]) {
      const { code, stdout, stderr } = await run(["users", ...names], env({ HOME_USAGE_NAMES: "hidden" }));
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toContain("HOME_USAGE_NAMES");
      expect(stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("home-usage forget", () => {
  const withSecret = () => env({ HOME_USAGE_PSEUDONYM_SECRET: SECRET });

  it("needs the secret, and refuses a name never seen with exit 2, changing nothing", async () => {
    const before = await t.db.collection("login").find().sort({ _id: 1 }).toArray();
    const noSecret = await run(["forget", "anna.schmidt"], env());
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain("HOME_USAGE_PSEUDONYM_SECRET");
    const unknown = await run(["forget", "nobody.known"], withSecret());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"nobody.known"');
    expect(await t.db.collection("login").find().sort({ _id: 1 }).toArray()).toEqual(before);
  });

  it("erases a person, says what it changed, and leaves them out of the people list and later runs", async () => {
    const { code, stdout, stderr } = await run(["forget", "carla.meier"], withSecret());
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('forgot "carla.meier": named in 3 days');
    expect(stdout).toContain("erased 3 logins");
    expect(stdout).toContain("distinct people over the processed days: 3 before, 2 after; logins: 6 before, 3 after");
    expect(stdout).toContain("sys.log");
    const listed = await run(["users", "--format", "csv"], withSecret());
    expect(listed.stdout).not.toContain("carla.meier");
    expect(listed.stdout).toContain("anna.schmidt");
    // Without the secret her account could not be told from the others: the list is refused, not leaked.
    const without = await run(["users", "--format", "csv"], env());
    expect(without.code).toBe(2);
    expect(without.stdout).toBe("");
    expect(without.stderr).toMatch(/^home-usage: .*HOME_USAGE_PSEUDONYM_SECRET.*\n$/);
    const again = await run(["aggregate", "--start", "2026-11-17"], withSecret());
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("3 logins of forgotten people left out");
    const retention = await run(["aggregate", "--name-retention", "30"], env());
    expect(retention.code).toBe(2);
    expect(retention.stderr).toContain("--name-retention needs HOME_USAGE_PSEUDONYM_SECRET");
    const aggregateWithout = await run(["aggregate"], env());
    expect(aggregateWithout.code).toBe(2);
    expect(aggregateWithout.stderr).toContain("HOME_USAGE_PSEUDONYM_SECRET");
  });
});
