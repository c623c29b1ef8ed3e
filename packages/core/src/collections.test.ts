import { describe, expect, it } from "vitest";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { collections } from "./collections.js";
import { parseRunDates, runAggregation } from "./job/aggregation.js";
import { loadConfig } from "./settings/config.js";

const t = useTestDatabase("collections");

const NOW = "2026-11-30T12:00:00Z";

async function setup(suffix: string) {
  const config = await loadConfig({ env: { ...databaseEnv(t, suffix), HOME_USAGE_NOW: NOW } });
  await t.db.collection(`log_${suffix}`).insertMany([
    { created: new Date("2026-11-27T09:00:00Z"), message: "successful login", user: "ann" },
    { created: new Date("2026-11-28T09:00:00Z"), message: "successful login", user: "bob" },
  ]);
  const run = () =>
    runAggregation({
      client: t.client,
      config,
      ...parseRunDates({ start: "2026-11-27" }, { zone: "UTC", now: new Date(NOW) }),
      host: "test",
      pid: process.pid,
    });
  return { config, run, cookie: () => t.db.collection(`cookie_${suffix}`).findOne({ _id: config.jobName } as never) };
}

describe("the job's cookie", () => {
  it("keeps the checkpoint's day and instant, and no time zone (the rollup's settings hold it)", async () => {
    const s = await setup("a");
    await s.run();
    const stored = await s.cookie();
    expect(stored).toMatchObject({ offsetDay: "2026-11-30", offset: new Date("2026-11-30T00:00:00Z") });
    expect(stored).not.toHaveProperty("timezone");
  });

  it("versions the rollup for a reader's cache: a run that writes a day changes it", async () => {
    const s = await setup("b");
    const { cookies } = collections(t.client, s.config);
    expect(await cookies.version({})).toEqual({ key: JSON.stringify([null, null, null, null]), asOf: undefined });
    await s.run();
    const after = await cookies.version({});
    expect(after.asOf).toEqual(new Date(NOW));
    await t.db
      .collection("log_b")
      .insertOne({ created: new Date("2026-11-30T08:00:00Z"), message: "successful login", user: "cy" });
    await runAggregation({
      client: t.client,
      config: { ...s.config, now: new Date("2026-12-01T12:00:00Z") },
      host: "test",
      pid: process.pid,
    });
    expect((await cookies.version({})).key).not.toBe(after.key);
  });

  it("is checked where the version is read: a damaged cookie is named, with its repair", async () => {
    const s = await setup("c");
    await s.run();
    await t.db.collection("cookie_c").updateOne({ _id: s.config.jobName } as never, { $set: { offset: "yesterday" } });
    await expect(collections(t.client, s.config).cookies.version({})).rejects.toMatchObject({
      code: "E_STATE",
      message: expect.stringMatching(
        /cookie_c \(home-usage.aggregate\) is damaged: offset holds the string "yesterday".*aggregate --reset/,
      ),
    });
  });
});
