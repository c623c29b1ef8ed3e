// The headline compares like with like: checked against plain counts of the log records the test wrote.
import { randomBytes } from "node:crypto";
import { DateTime } from "luxon";
import { beforeAll, describe, expect, it } from "vitest";
import { databaseEnv, useTestDatabase } from "../../../../tools/test/database.js";
import { runAggregation } from "../job/aggregation.js";
import { loadConfig } from "../settings/config.js";
import { changeOf, headlineText } from "./headline.js";
import { createUsageService } from "./usage-service.js";

const t = useTestDatabase("headline");
const ZONE = "UTC";
/** A Tuesday, mid-morning, and the 1st of a month. */
const TUESDAY = "2026-12-01T10:00:00Z";

interface Login {
  user: string;
  created: Date;
}

/** 2026-10-01 to 2026-12-01 10:00: ten people on weekdays, three of them on weekends too; six on the 1st by 10:00. */
const logins: Login[] = [];
for (
  let d = DateTime.fromISO("2026-10-01T08:00:00Z", { zone: ZONE });
  d.toJSDate() <= new Date(TUESDAY);
  d = d.plus({ days: 1 })
) {
  const weekend = d.weekday >= 6;
  const people = d.day === 1 && d.month === 12 ? 6 : weekend ? 3 : 10 + (d.weekNumber % 3);
  for (let i = 0; i < people; i++) logins.push({ user: `p${i}`, created: d.plus({ minutes: i }).toJSDate() });
}

/** Distinct people with a login on the UTC days [from, to), counted plainly. */
const distinct = (from: string, to: string) =>
  new Set(
    logins
      .filter((l) => l.created.toISOString().slice(0, 10) >= from && l.created.toISOString().slice(0, 10) < to)
      .map((l) => l.user),
  ).size;

let service: ReturnType<typeof createUsageService>;

beforeAll(async () => {
  const id = randomBytes(3).toString("hex");
  const config = await loadConfig({
    env: { ...databaseEnv(t, id), HOME_USAGE_TIMEZONE: ZONE, HOME_USAGE_NOW: TUESDAY },
  });
  await t.db
    .collection(`log_${id}`)
    .insertMany(logins.map((l) => ({ created: l.created, message: "successful login", user: l.user })));
  await runAggregation({ client: t.client, config, host: "test", pid: process.pid });
  service = createUsageService({ client: t.client, config });
});

async function headlineFor(aggregate: string, field: "user" | "stickiness" = "user") {
  const now = new Date(TUESDAY);
  const opened = await service.open({ aggregate }, now);
  const report = await service.read(opened, now);
  return service.headline(opened, report, field, now);
}

describe("headline", () => {
  it("on a Tuesday: the latest complete week against the week before, and Monday against the Monday before", async () => {
    const headline = await headlineFor("week");
    // W48 is 2026-11-23 to 2026-11-29, W47 the week before; W49 started on Monday 2026-11-30.
    expect(headline.latest).toMatchObject({
      period: "2026-W48",
      value: distinct("2026-11-23", "2026-11-30"),
      before: { period: "2026-W47", value: distinct("2026-11-16", "2026-11-23") },
    });
    expect(headline.current).toMatchObject({
      period: "2026-W49",
      value: distinct("2026-11-30", "2026-12-02"),
      days: 1,
      whole: { value: distinct("2026-11-30", "2026-12-01") },
      before: { period: "2026-W48", value: distinct("2026-11-23", "2026-11-24") },
    });
    const [latest, current] = headlineText(headline);
    expect(latest).toContain("2026-W48, the latest complete week");
    expect(current).toMatch(
      /^So far in 2026-W49: \d+ distinct people; over its first day, \d+ against \d+ over the same days of 2026-W48/,
    );
  });

  it("on the 1st of a month: no comparison of a day not over with a whole one, so no −100 %", async () => {
    const headline = await headlineFor("month");
    expect(headline.latest).toMatchObject({ period: "2026-11", value: distinct("2026-11-01", "2026-12-01") });
    expect(headline.current).toMatchObject({ period: "2026-12", value: 6 });
    expect(headline.current?.change).toBeUndefined();
    expect(headlineText(headline).join("\n")).not.toContain("−100");
    expect(headlineText(headline)[1]).toContain("once its first day is over");
  });

  it("by day: the latest complete day is yesterday; today is shown so far, not compared", async () => {
    const headline = await headlineFor("day");
    expect(headline.latest).toMatchObject({
      period: "2026-11-30",
      value: distinct("2026-11-30", "2026-12-01"),
      before: { period: "2026-11-29", value: distinct("2026-11-29", "2026-11-30") },
    });
    expect(headline.current?.change).toBeUndefined();
  });

  it("a ratio changes in percentage points, and only a notable change is flagged", async () => {
    const headline = await headlineFor("week", "stickiness");
    expect(headline.latest?.change?.text).toMatch(/^[+−±]\d+ pp$/);
    expect(changeOf("stickiness", 0.41, 0.5)).toEqual({ text: "+9 pp", direction: "up", notable: true });
    expect(changeOf("stickiness", 0.41, 0.43)).toMatchObject({ text: "+2 pp", notable: false });
    expect(changeOf("user", 95, 98)).toMatchObject({ text: "+3.2 %", notable: false });
    expect(changeOf("user", 95, 53)).toMatchObject({ text: "−44.2 %", direction: "down", notable: true });
  });
});
