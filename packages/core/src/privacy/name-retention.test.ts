// HOME_USAGE_NAME_RETENTION_DAYS: no document of a period that ended more than N days ago holds a name,
// while every metric still equals an independent count from the log (identity is kept).
import { createHmac, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { databaseEnv, useTestDatabase } from "../../../../tools/test/database.js";
import { comparable, type Login, oracle } from "../../../../tools/test/oracle.js";
import { comparableRetention, retentionOracle } from "../../../../tools/test/retention-oracle.js";
import { parseRunDates, runAggregation } from "../job/aggregation.js";
import { createUsageService } from "../report/usage-service.js";
import { type HomeUsageConfig, loadConfig } from "../settings/config.js";

const t = useTestDatabase("privacy_retention");
const SECRET = "pseudonym-secret-for-retention-t";
const FIRST = "2026-06-01";
const N = 30;
const PEOPLE = ["anna.schmidt", "bernd.kraus", "carla.meier", "dieter.vogel", "emil.berg", "hanna.wolf", "ida.fuchs"];
/** Seen in the first days only. */
const GRETA = "greta.alt";
const keyed = (name: string) => `p-${createHmac("sha256", SECRET).update(name).digest("hex").slice(0, 16)}`;

/** Person p logs in on day i when (i × (p + 2) + p) mod 7 < 3, and never in a stretch of their own. */
function generate(from: string, to: string): Login[] {
  const logins: Login[] = [];
  const start = new Date(`${FIRST}T07:00:00Z`).getTime();
  for (
    let d = new Date(`${from}T07:00:00Z`);
    d <= new Date(`${to}T07:00:00Z`);
    d = new Date(d.getTime() + 86_400_000)
  ) {
    const i = Math.round((d.getTime() - start) / 86_400_000);
    PEOPLE.forEach((user, p) => {
      const away = i >= 20 * p && i < 20 * p + 25;
      if (!away && (i * (p + 2) + p) % 7 < 3) logins.push({ user, created: new Date(d.getTime() + p * 600_000) });
    });
    // Greta logs in on the first days only: every login of hers is older than any cutoff.
    if (i >= 0 && i < 10 && i % 2 === 0) logins.push({ user: GRETA, created: new Date(d.getTime() + 3_600_000) });
  }
  return logins;
}

let id: string;
let logins: Login[] = [];
const configAt = (now: string, extra: Record<string, string> = {}) =>
  loadConfig({ env: { ...databaseEnv(t, id), HOME_USAGE_NOW: now, HOME_USAGE_PSEUDONYM_SECRET: SECRET, ...extra } });

async function addLogs(from: string, to: string) {
  const more = generate(from, to);
  logins = [...logins, ...more];
  await t.db
    .collection(`log_${id}`)
    .insertMany(more.map((l) => ({ created: l.created, message: "successful login", user: l.user })));
}

const run = (config: HomeUsageConfig, options: { start?: string; reset?: boolean } = {}) =>
  runAggregation({
    client: t.client,
    config,
    host: "test",
    pid: process.pid,
    ...parseRunDates({ start: options.start }, { zone: "UTC", now: config.now as Date }),
    reset: options.reset,
  });

/** The rollup's people documents, each with its end (a day's: the next midnight). */
async function peopleDocuments() {
  const docs = await t.db.collection(`login_${id}`).find().toArray();
  return docs.map((d) => ({
    _id: String(d._id),
    end: d.kind === "day" ? new Date(new Date(d.start).getTime() + 86_400_000) : (d.end as Date),
    users: (d.users as { user: string }[]).map((u) => u.user),
  }));
}

/** No document of a period that ended by the cutoff holds a name; later ones still do. */
async function expectExpired(now: string) {
  const cutoff = new Date(new Date(`${now.slice(0, 10)}T00:00:00Z`).getTime() - N * 86_400_000);
  const docs = await peopleDocuments();
  const old = docs.filter((d) => d.end <= cutoff);
  expect(old.length).toBeGreaterThan(100);
  for (const doc of old) for (const user of doc.users) expect(user, doc._id).toMatch(/^p-[0-9a-f]{16}$/);
  const recent = docs.filter((d) => d.end > cutoff);
  expect(recent.flatMap((d) => d.users).some((u) => PEOPLE.includes(u))).toBe(true);
  // Everybody's first and last logins: a person last seen before the cutoff by their pseudonym only.
  const everyone = await t.db.collection(`login_${id}`).findOne({ _id: "everyone" as never });
  const entries = (everyone?.users ?? []) as { user: string; last: Date }[];
  const lastSeen = (name: string) => Math.max(...logins.filter((l) => l.user === name).map((l) => l.created.getTime()));
  const expected = [...new Set(logins.map((l) => l.user))].map((name) =>
    lastSeen(name) < cutoff.getTime() ? keyed(name) : name,
  );
  expect(entries.map((e) => e.user).sort()).toEqual(expected.sort());
  expect(expected).toContain(keyed(GRETA));
}

/** Every kind's every metric, and the retention cohorts, equal the independent count from the log. */
async function expectCounts(now: string, last: string) {
  const config = await configAt(now);
  const service = createUsageService({ client: t.client, config });
  const end = new Date(new Date(`${last}T00:00:00Z`).getTime() + 86_400_000).toISOString().slice(0, 10);
  for (const kind of ["day", "week", "month", "quarter", "year"] as const) {
    const { report } = await service.report({ start: FIRST, end, aggregate: kind }, new Date(now));
    const expected = oracle(logins, { zone: "UTC", first: FIRST, last, kind });
    expect(comparable(report.rows, kind), kind).toEqual(comparable(expected, kind));
  }
  for (const kind of ["week", "month"] as const) {
    const { report } = await service.retention({ cohort: kind, start: FIRST, end, periods: 8 }, new Date(now));
    const want = retentionOracle(logins, { zone: "UTC", first: FIRST, last, kind, start: FIRST, end, periods: 8, now });
    expect(comparableRetention(report.rows), kind).toEqual(want);
  }
}

beforeAll(async () => {
  id = randomBytes(3).toString("hex");
  await addLogs(FIRST, "2026-11-06");
  // Built with names first, as before the setting was given.
  await run(await configAt("2026-11-06T12:00:00Z"));
}, 120_000);

describe("HOME_USAGE_NAME_RETENTION_DAYS", () => {
  const retention = { HOME_USAGE_NAME_RETENTION_DAYS: String(N) };

  it("needs the pseudonym secret", async () => {
    await expect(
      loadConfig({ env: { ...databaseEnv(t, id), HOME_USAGE_NAME_RETENTION_DAYS: "30" } }),
    ).rejects.toMatchObject({ code: "E_USAGE", message: expect.stringContaining("HOME_USAGE_PSEUDONYM_SECRET") });
  });

  it("replaces the names of periods that ended more than N days ago, every metric unchanged", async () => {
    const now = "2026-11-06T12:00:00Z";
    await run(await configAt(now, retention));
    await expectExpired(now);
    await expectCounts(now, "2026-11-06");
  });

  it("keeps identities: later logins of the same people still count as the same people", async () => {
    const now = "2026-12-20T12:00:00Z";
    await addLogs("2026-11-07", "2026-12-20");
    await run(await configAt(now, retention));
    await expectExpired(now);
    await expectCounts(now, "2026-12-20");
  });

  it("lists pseudonyms for ranges whose names expired, names for recent ones", async () => {
    const now = "2026-12-20T12:00:00Z";
    const service = createUsageService({ client: t.client, config: await configAt(now) });
    const old = await service.people({ start: "2026-07-01", end: "2026-09-01" }, new Date(now));
    const active = new Set(
      logins
        .filter((l) => l.created >= new Date("2026-07-01") && l.created < new Date("2026-09-01"))
        .map((l) => l.user),
    );
    expect(old.rows.filter((r) => r.logins > 0).map((r) => r.user)).toEqual([...active].map(keyed).sort());
    const recent = await service.people({ start: "2026-12-01", end: "2026-12-20" }, new Date(now));
    expect(recent.rows.filter((r) => r.logins > 0).every((r) => PEOPLE.includes(r.user))).toBe(true);
  });

  it("keeps expired names out of backfills and rebuilds, every metric unchanged", async () => {
    const now = "2026-12-20T12:00:00Z";
    await run(await configAt(now, retention), { start: "2026-07-15" });
    await expectExpired(now);
    await run(await configAt(now, retention), { reset: true });
    await expectExpired(now);
    await expectCounts(now, "2026-12-20");
  }, 180_000);
});
