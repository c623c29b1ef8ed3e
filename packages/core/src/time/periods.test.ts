import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { periodKeys, periodOfLabel, startOfDay, startOfPeriod } from "./periods.js";

const day = (iso: string, zone = "UTC") => DateTime.fromISO(iso, { zone });

describe("periodKeys", () => {
  it("labels a day with its ISO week, month, quarter and year", () => {
    expect(periodKeys(day("2026-11-28"))).toEqual({
      day: "2026-11-28",
      week: "2026-W48",
      month: "2026-11",
      quarter: "2026-Q4",
      year: "2026",
    });
  });

  it("puts New Year's days into the ISO week-year they belong to", () => {
    // 2026-12-31 is a Thursday: week 53 of 2026, and so are the first days of 2027.
    expect(periodKeys(day("2026-12-31")).week).toBe("2026-W53");
    expect(periodKeys(day("2027-01-03")).week).toBe("2026-W53");
    expect(periodKeys(day("2027-01-03")).year).toBe("2027");
    expect(periodKeys(day("2027-01-04")).week).toBe("2027-W01");
    // 2024-12-30 is a Monday in week 1 of 2025.
    expect(periodKeys(day("2024-12-30")).week).toBe("2025-W01");
    expect(periodKeys(day("2024-12-30")).quarter).toBe("2024-Q4");
  });

  it("knows the leap day", () => {
    expect(periodKeys(day("2028-02-29"))).toMatchObject({ day: "2028-02-29", week: "2028-W09", month: "2028-02" });
  });
});

describe("startOfDay", () => {
  it("finds local midnight across DST changes in Europe/Berlin", () => {
    // Spring forward: 2026-03-29 has 23 hours; fall back: 2026-10-25 has 25.
    const spring = startOfDay(new Date("2026-03-29T12:00:00Z"), "Europe/Berlin");
    expect(spring.toJSDate().toISOString()).toBe("2026-03-28T23:00:00.000Z");
    expect(spring.plus({ days: 1 }).diff(spring, "hours").hours).toBe(23);
    const autumn = startOfDay(new Date("2026-10-25T12:00:00Z"), "Europe/Berlin");
    expect(autumn.toJSDate().toISOString()).toBe("2026-10-24T22:00:00.000Z");
    expect(autumn.plus({ days: 1 }).diff(autumn, "hours").hours).toBe(25);
  });

  it("puts a login at exactly midnight on the day it starts", () => {
    expect(periodKeys(startOfDay(new Date("2026-11-28T00:00:00Z"), "UTC")).day).toBe("2026-11-28");
    expect(periodKeys(startOfDay(new Date("2026-11-27T23:00:00Z"), "Europe/Berlin")).day).toBe("2026-11-28");
  });
});

describe("startOfPeriod", () => {
  it("starts ISO weeks on Monday", () => {
    expect(startOfPeriod(day("2026-11-28"), "week").toISODate()).toBe("2026-11-23");
    expect(startOfPeriod(day("2026-11-28"), "quarter").toISODate()).toBe("2026-10-01");
  });
});

describe("periodOfLabel", () => {
  const bounds = (label: string) => {
    const span = periodOfLabel(label, "Europe/Berlin");
    return span && [span.kind, span.start.toISO(), span.end.toISO()];
  };

  it("reads back every kind of label, in the zone", () => {
    expect(bounds("2028-02-29")).toEqual(["day", "2028-02-29T00:00:00.000+01:00", "2028-03-01T00:00:00.000+01:00"]);
    expect(bounds("2026-W53")).toEqual(["week", "2026-12-28T00:00:00.000+01:00", "2027-01-04T00:00:00.000+01:00"]);
    expect(bounds("2026-03")).toEqual(["month", "2026-03-01T00:00:00.000+01:00", "2026-04-01T00:00:00.000+02:00"]);
    expect(bounds("2026-Q4")).toEqual(["quarter", "2026-10-01T00:00:00.000+02:00", "2027-01-01T00:00:00.000+01:00"]);
    expect(bounds("2026")).toEqual(["year", "2026-01-01T00:00:00.000+01:00", "2027-01-01T00:00:00.000+01:00"]);
  });

  it("refuses what no period is called", () => {
    for (const label of ["2027-W53", "2026-02-30", "2026-13", "2026-Q5", "26", "2026-11-28T00:00", ""]) {
      expect(periodOfLabel(label, "UTC")).toBeNull();
    }
  });
});
