// `forget`: after it, no rollup document holds the name, every metric equals an independent count from
// the log without that person, and no later run, backfill or rebuild brings them back.
import { createHmac, randomBytes } from "node:crypto";
import { BSON } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { databaseEnv, useTestDatabase } from "../../../../tools/test/database.js";
import { comparable, type Login, oracle } from "../../../../tools/test/oracle.js";
import { parseRunDates, runAggregation } from "../job/aggregation.js";
import { createUsageService } from "../report/usage-service.js";
import { type HomeUsageConfig, loadConfig } from "../settings/config.js";
import { forgetPeople } from "./forget.js";

const t = useTestDatabase("privacy_forget");
const NOW = "2026-11-06T12:00:00Z";
const SECRET = "pseudonym-secret-for-forget-test";
const FIRST = "2026-08-20";
const LAST = "2026-11-06";
const GONE = "gretel.zimmermann";
const PEOPLE = ["anna.schmidt", "bernd.kraus", "carla.meier", "dieter.vogel", GONE, "hanna.wolf", "ida.fuchs"];

/** A person logs in on a day when (day index × (their index + 2)) mod 5 < 2, Gretel most days. */
function generate(from: string, to: string): Login[] {
  const logins: Login[] = [];
  let i = 0;
  for (
    let d = new Date(`${from}T07:00:00Z`);
    d <= new Date(`${to}T07:00:00Z`);
    d = new Date(d.getTime() + 86_400_000)
  ) {
    PEOPLE.forEach((user, p) => {
      if (user === GONE ? i % 4 !== 3 : (i * (p + 2)) % 5 < 2) {
        logins.push({ user, created: new Date(d.getTime() + p * 600_000) });
      }
    });
    i++;
  }
  return logins;
}

const logins = generate(FIRST, LAST);
let config: HomeUsageConfig;
let names: { target: string; periods: string; log: string };

const run = (options: { start?: string; reset?: boolean } = {}, c = config) =>
  runAggregation({
    client: t.client,
    config: c,
    host: "test",
    pid: process.pid,
    ...parseRunDates({ start: options.start }, { zone: "UTC", now: new Date(NOW) }),
    reset: options.reset,
  });

/** Every document of the rollup, as JSON text. */
async function everything(): Promise<string> {
  const docs = await Promise.all(
    [names.target, names.periods].map((c) => t.db.collection(c).find().sort({ _id: 1 }).toArray()),
  );
  return BSON.EJSON.stringify(docs);
}

/** Every kind's every metric over the whole rollup equals the independent count from these logins. */
async function expectCounts(from: readonly Login[]) {
  const service = createUsageService({ client: t.client, config });
  for (const kind of ["day", "week", "month", "quarter", "year"] as const) {
    const { report } = await service.report({ start: FIRST, end: "2026-11-07", aggregate: kind }, new Date(NOW));
    const expected = oracle(from, { zone: "UTC", first: FIRST, last: LAST, kind });
    // A period the range cuts (the first week) is the oracle's whole period only from FIRST on: both agree.
    expect(comparable(report.rows, kind), kind).toEqual(comparable(expected, kind));
  }
}

beforeAll(async () => {
  const id = randomBytes(3).toString("hex");
  const env = {
    ...databaseEnv(t, id),
    HOME_USAGE_NOW: NOW,
    HOME_USAGE_PSEUDONYM_SECRET: SECRET,
  };
  config = await loadConfig({ env });
  names = { target: `login_${id}`, periods: `login_${id}_period`, log: `log_${id}` };
  await t.db
    .collection(names.log)
    .insertMany(logins.map((l) => ({ created: l.created, message: "successful login", user: l.user })));
  await run();
});

const forget = (people: string[], c = config) =>
  forgetPeople({ client: t.client, config: c, names: people, host: "test", pid: process.pid });

describe("forget", () => {
  it("refuses a name the rollup has never seen, and changes nothing", async () => {
    const before = await everything();
    expect(before).toContain(GONE);
    await expect(forget(["nobody.known", GONE])).rejects.toMatchObject({
      code: "E_USAGE",
      message: expect.stringContaining('"nobody.known"'),
    });
    expect(await everything()).toBe(before);
  });

  it("refuses without the secret, and changes nothing", async () => {
    const before = await everything();
    const { pseudonymSecret: _, ...without } = config;
    await expect(forget([GONE], without)).rejects.toMatchObject({ code: "E_USAGE" });
    expect(await everything()).toBe(before);
  });

  it("erases the person from every document and recomputes every metric without them", async () => {
    const result = await forget([GONE]);
    const theirs = logins.filter((l) => l.user === GONE);
    expect(result.logins).toBe(theirs.length);
    expect(result.before).toEqual({ people: PEOPLE.length, logins: logins.length });
    expect(result.after).toEqual({ people: PEOPLE.length - 1, logins: logins.length - theirs.length });
    expect(result.named[0]?.documents.day).toBe(new Set(theirs.map((l) => l.created.toISOString().slice(0, 10))).size);
    const stored = await everything();
    expect(stored).not.toContain(GONE);
    // Only their keyed pseudonym stays, computed here independently.
    const keyed = `p-${createHmac("sha256", SECRET).update(GONE).digest("hex").slice(0, 16)}`;
    expect(stored).toContain(keyed);
    await expectCounts(logins.filter((l) => l.user !== GONE));
  });

  it("keeps them out of later runs, backfills and rebuilds", async () => {
    const without = logins.filter((l) => l.user !== GONE);
    // A backfill over old days reads their records again: they stay out.
    const backfill = await run({ start: "2026-09-01" });
    expect(backfill.forgotten).toBeGreaterThan(0);
    expect(await everything()).not.toContain(GONE);
    await expectCounts(without);
    // So does a rebuild from the log.
    await run({ reset: true });
    expect(await everything()).not.toContain(GONE);
    await expectCounts(without);
  });

  it("refuses a run with another secret, which would let the forgotten back in", async () => {
    const other = await loadConfig({
      env: {
        ...databaseEnv(t, names.log.slice(4)),
        HOME_USAGE_NOW: NOW,
        HOME_USAGE_PSEUDONYM_SECRET: "another-secret-entirely-0000",
      },
    });
    await expect(run({}, other)).rejects.toMatchObject({
      code: "E_USAGE",
      message: expect.stringContaining("HOME_USAGE_PSEUDONYM_SECRET"),
    });
    const { pseudonymSecret: _, ...without } = config;
    await expect(run({}, without as HomeUsageConfig)).rejects.toMatchObject({ code: "E_USAGE" });
  });
});
