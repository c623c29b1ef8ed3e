// What the rest of home-usage relies on from the database, proved against the
// test server (the bundled FerretDB, or MONGODB_URI) through the official driver.
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../../../tools/test/database.js";

const t = useTestDatabase("capabilities");

describe("the test database", () => {
  it("stores and returns Date values to the millisecond", async () => {
    const when = new Date("2026-03-29T00:59:59.123Z");
    await t.db.collection("dates").insertOne({ _id: "a" as never, created: when });
    const doc = await t.db.collection("dates").findOne({ created: { $gte: when } });
    expect(doc?.created).toEqual(when);
    expect(doc?.created).toBeInstanceOf(Date);
  });

  it("filters with a regular expression and a date range, sorted and projected", async () => {
    const log = t.db.collection("log");
    await log.insertMany([
      { created: new Date("2026-01-01T10:00:00Z"), message: "successful login", user: "ann", level: "INFO" },
      { created: new Date("2026-01-01T09:00:00Z"), message: "successful login", user: "bob", level: "INFO" },
      { created: new Date("2026-01-02T09:00:00Z"), message: "job started", user: "ann", level: "DEBUG" },
      { created: new Date("2026-01-03T09:00:00Z"), message: "successful login", user: "cid", level: "INFO" },
    ]);
    const rows = await log
      .find(
        {
          message: { $regex: "successful login" },
          created: { $gte: new Date("2026-01-01T00:00:00Z"), $lt: new Date("2026-01-03T00:00:00Z") },
        },
        { projection: { _id: 0, user: 1, created: 1 } },
      )
      .sort({ created: 1 })
      .toArray();
    expect(rows.map((r) => r.user)).toEqual(["bob", "ann"]);
    expect(Object.keys(rows[0] ?? {}).sort()).toEqual(["created", "user"]);
  });

  it("upserts with updateOne and bulkWrite replaceOne, idempotently", async () => {
    const days = t.db.collection<{ _id: string; users: string[] }>("days");
    await days.updateOne({ _id: "2026-01-01" }, { $set: { users: ["ann"] } }, { upsert: true });
    const write = () =>
      days.bulkWrite([
        { replaceOne: { filter: { _id: "2026-01-01" }, replacement: { users: ["ann", "bob"] }, upsert: true } },
        { replaceOne: { filter: { _id: "2026-01-02" }, replacement: { users: [] }, upsert: true } },
      ]);
    await write();
    await write();
    const all = await days.find().sort({ _id: 1 }).toArray();
    expect(all).toEqual([
      { _id: "2026-01-01", users: ["ann", "bob"] },
      { _id: "2026-01-02", users: [] },
    ]);
  });

  it("takes a lease atomically with findOneAndUpdate and upsert", async () => {
    const locks = t.db.collection<{ _id: string; owner: string; expires: Date }>("locks");
    await locks.createIndex({ expires: 1 });
    const now = new Date("2026-01-01T00:00:00Z");
    const take = async (owner: string) => {
      try {
        return await locks.findOneAndUpdate(
          { _id: "job", expires: { $lt: now } },
          { $set: { owner, expires: new Date(now.getTime() + 60_000) } },
          { upsert: true, returnDocument: "after" },
        );
      } catch (error) {
        // A held lease makes the upsert collide with the existing _id.
        if ((error as { code?: number }).code === 11000) return null;
        throw error;
      }
    };
    expect((await take("first"))?.owner).toBe("first");
    expect(await take("second")).toBeNull();
    expect((await locks.findOne({ _id: "job" }))?.owner).toBe("first");
  });

  it("creates indexes and lists them", async () => {
    await t.db.collection("log").createIndex({ created: 1 });
    const keys = (await t.db.collection("log").listIndexes().toArray()).map((i) => i.key);
    expect(keys).toContainEqual({ created: 1 });
  });

  it("runs the aggregation subset: $match, $unwind, $project, $group on paths with $sum, $sort", async () => {
    // FerretDB's $unwind keeps only _id and the unwound field, so every user
    // entry carries the period keys the query groups on.
    const entry = (user: string, logins: number, week: string) => ({ user, logins, week });
    const rollup = t.db.collection("rollup");
    await rollup.insertMany([
      {
        day: "2026-01-05",
        week: "2026-W02",
        logins: 3,
        users: [entry("ann", 2, "2026-W02"), entry("bob", 1, "2026-W02")],
      },
      { day: "2026-01-11", week: "2026-W02", logins: 1, users: [entry("ann", 1, "2026-W02")] },
      { day: "2026-01-12", week: "2026-W03", logins: 4, users: [entry("cid", 4, "2026-W03")] },
      { day: "2026-01-13", week: "2026-W03", logins: 0, users: [] },
      { day: "2026-01-20", week: "2026-W04", logins: 1, users: [entry("dan", 1, "2026-W04")] },
    ]);
    const match = { $match: { day: { $gte: "2026-01-05", $lt: "2026-01-14" } } };
    const users = await rollup
      .aggregate([
        match,
        { $project: { users: 1 } },
        { $unwind: "$users" },
        { $group: { _id: { period: "$users.week", user: "$users.user" }, logins: { $sum: "$users.logins" } } },
        { $group: { _id: "$_id.period", users: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(users).toEqual([
      { _id: "2026-W02", users: 2 },
      { _id: "2026-W03", users: 1 },
    ]);
    // FerretDB computes only the first accumulator of a $group correctly: one per stage.
    const logins = await rollup
      .aggregate([match, { $group: { _id: "$week", logins: { $sum: "$logins" } } }, { $sort: { _id: -1 } }])
      .toArray();
    expect(logins).toEqual([
      { _id: "2026-W03", logins: 4 },
      { _id: "2026-W02", logins: 4 },
    ]);
  });
});
