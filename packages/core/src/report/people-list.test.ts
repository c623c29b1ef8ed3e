import { randomBytes } from "node:crypto";
import { DateTime } from "luxon";
import { MongoClient } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { databaseEnv, useTestDatabase } from "../../../../tools/test/database.js";
import { collections } from "../collections.js";
import { runAggregation } from "../job/aggregation.js";
import { type HomeUsageConfig, loadConfig } from "../settings/config.js";
import { listPeople } from "./people-list.js";
import { createUsageService } from "./usage-service.js";

const t = useTestDatabase("people_list");
const NOW = "2026-11-30T12:00:00Z";
let config: HomeUsageConfig;

/** Logins as [user, ISO instant]: ann often, bob in October only, the admin, and eve who is disabled. */
const LOGINS: [string, string][] = [
  ["ann", "2026-09-01T08:00:00Z"],
  ["ann", "2026-10-05T08:00:00Z"],
  ["ann", "2026-10-05T15:00:00Z"],
  ["ann", "2026-11-20T09:00:00Z"],
  ["bob", "2026-10-10T10:00:00Z"],
  ["bob", "2026-10-11T10:00:00Z"],
  ["admin", "2026-10-12T10:00:00Z"],
  ["eve", "2026-11-02T07:30:00Z"],
];

beforeAll(async () => {
  const id = randomBytes(3).toString("hex");
  config = await loadConfig({
    env: { ...databaseEnv(t, id), HOME_USAGE_NOW: NOW },
  });
  await t.db
    .collection(`log_${id}`)
    .insertMany(LOGINS.map(([user, at]) => ({ created: new Date(at), message: "successful login", user })));
  await t.db.collection(`role_${id}`).insertMany([
    { name: "ann", email: "ann@example.com", is_active: true },
    { name: "eve", email: "eve@example.com", is_active: false },
    { name: "idle", email: "idle@example.com", is_active: true },
    { name: "admin", email: "admin@example.com", is_active: true },
    { name: "robot" }, // no email: not a person's account
  ]);
  await runAggregation({ client: t.client, config, host: "test", pid: process.pid });
});

const people = (args: { start?: string; end?: string }) =>
  createUsageService({ client: t.client, config }).people(args, new Date(NOW));

/** The independent answer: counted straight from LOGINS. */
function expected(start: string, end: string) {
  const users = ["ann", "bob", "eve"];
  return users.map((user) => {
    const all = LOGINS.filter(([u]) => u === user).map(([, at]) => at);
    const inRange = all.filter((at) => at >= start && at < end);
    return {
      user,
      logins: inRange.length,
      days: new Set(inRange.map((at) => at.slice(0, 10))).size,
      firstSeen: new Date(all[0] as string).toISOString(),
      lastSeen: new Date(all.at(-1) as string).toISOString(),
    };
  });
}

/** The people from `start` to now, and the `_id`s the list looked up, as the driver sent them. */
async function listedWithLookups(config: HomeUsageConfig, start: string) {
  const client = new MongoClient(t.uri, { monitorCommands: true });
  const looked: string[] = [];
  client.on("commandStarted", (event) => {
    if (event.commandName === "find") looked.push(String(event.command.filter?._id));
  });
  try {
    await client.connect();
    const { rows } = await createUsageService({ client, config }).people({ start }, new Date(NOW));
    return { rows, looked };
  } finally {
    await client.close();
  }
}

describe("listPeople", () => {
  it("lists logged-in people, never-seen accounts and disabled accounts; admin and robots are left out", async () => {
    const { rows } = await people({ start: "2026-10-01", end: "2026-11-01" });
    const want = expected("2026-10-01", "2026-11-01");
    expect(rows).toEqual([
      { ...want[0], account: "active" },
      { ...want[1], account: null },
      { ...want[2], account: "disabled" },
      { user: "idle", logins: 0, days: 0, firstSeen: null, lastSeen: null, account: "active" },
    ]);
    expect(rows[0]).toMatchObject({ user: "ann", logins: 2, days: 1 });
  });

  it("counts within any range, whole periods and cut ones alike", async () => {
    for (const [start, end] of [
      ["2026-09-01", "2026-12-01"],
      ["2026-10-05", "2026-10-11"],
      ["2026-11-02", "2026-11-03"],
    ] as const) {
      const { rows } = await people({ start, end });
      expect(
        rows.filter((r) => r.user !== "idle").map(({ account: _a, ...r }) => r),
        `${start}..${end}`,
      ).toEqual(expected(start, end));
    }
  });

  it("reads a range that ends now from the documents of the periods in progress, not day by day", async () => {
    // NOW is Monday 2026-11-30: the range from Thursday 2026-10-29 holds every processed day after it.
    const { rows, looked } = await listedWithLookups(config, "2026-10-29");
    expect(rows.filter((r) => r.user !== "idle").map(({ account: _a, ...r }) => r)).toEqual(
      expected("2026-10-29", "2026-12-01"),
    );
    // Three days to the month's end, then November as one document: not its thirty days.
    const days = looked.filter((id) => /^\d{4}-\d{2}-\d{2}$/.test(id)).sort();
    expect(days).toEqual(["2026-10-29", "2026-10-30", "2026-10-31"]);
    expect(looked).toContain("2026-11");
  });

  it("fails with the request's own reason when it is gone, and leaves no read failing behind it", async () => {
    // Both the accounts and the rollup are read at once; when the request goes away, both reads fail.
    // The list must fail once with the reason, not leave the other read's failure unhandled (a crash
    // in a server that exits on unhandled rejections).
    const unhandled: unknown[] = [];
    const note = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", note);
    try {
      const opened = collections(t.client, config);
      const settings = await opened.rollup().settings();
      const controller = new AbortController();
      controller.abort(new Error("the client went away"));
      const store = opened.rollup({ signal: controller.signal });
      const roles = opened.accounts;
      await expect(
        listPeople(
          store,
          settings,
          roles,
          {
            start: DateTime.fromISO("2026-10-01", { zone: "UTC" }),
            end: DateTime.fromISO("2026-11-01", { zone: "UTC" }),
          },
          { zone: "UTC", now: new Date(NOW), exclude: [], signal: controller.signal },
        ),
      ).rejects.toThrow("the client went away");
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", note);
    }
  });
});

describe("listPeople over years of history", () => {
  // Logins over three years: old.timer in 2024 only, ann in every year; then a 30-day list.
  const HISTORY: [string, string][] = [
    ["old.timer", "2024-02-10T09:00:00Z"],
    ["old.timer", "2024-03-01T09:00:00Z"],
    ["ann", "2024-05-05T08:00:00Z"],
    ["ann", "2025-07-07T08:00:00Z"],
    ["ann", "2026-11-20T09:00:00Z"],
    ["bob", "2025-12-30T10:00:00Z"],
    ["bob", "2026-11-25T10:00:00Z"],
  ];
  let history: HomeUsageConfig;

  beforeAll(async () => {
    const id = randomBytes(3).toString("hex");
    history = await loadConfig({ env: { ...databaseEnv(t, id), HOME_USAGE_NOW: NOW } });
    await t.db
      .collection(`log_${id}`)
      .insertMany(HISTORY.map(([user, at]) => ({ created: new Date(at), message: "successful login", user })));
    await runAggregation({ client: t.client, config: history, host: "test", pid: process.pid });
  });

  /** Counted straight from HISTORY. */
  const seen = (user: string) => {
    const at = HISTORY.filter(([u]) => u === user).map(([, a]) => new Date(a).toISOString());
    return { firstSeen: at[0], lastSeen: at.at(-1) };
  };

  const listed = () => listedWithLookups(history, "2026-11-01");

  it("gives everyone's first and last login from one document, reading none of the years", async () => {
    const { rows, looked } = await listed();
    expect(rows.map(({ user, logins, firstSeen, lastSeen }) => ({ user, logins, firstSeen, lastSeen }))).toEqual([
      { user: "ann", logins: 1, ...seen("ann") },
      { user: "bob", logins: 1, ...seen("bob") },
      { user: "old.timer", logins: 0, ...seen("old.timer") },
    ]);
    expect(looked).toContain("everyone");
    expect(looked.filter((id) => /^\d{4}$/.test(id))).toEqual([]);
  });

  it("reads the years of a rollup the job has not written everyone into yet, with the same answer", async () => {
    const before = (await listed()).rows;
    const target = t.db.collection(history.target.collection);
    const everyone = await target.findOne({ _id: "everyone" as never });
    await target.deleteOne({ _id: "everyone" as never });
    try {
      const { rows, looked } = await listed();
      expect(rows).toEqual(before);
      expect(looked.filter((id) => /^\d{4}$/.test(id)).sort()).toEqual(["2024", "2025", "2026"]);
    } finally {
      if (everyone) await target.insertOne(everyone);
    }
  });
});
