import { describe, expect, it } from "vitest";
import { HomeUsageError } from "../errors.js";
import { countDays, parseDate, toDayRange } from "./date-range.js";

const now = new Date("2026-11-28T10:30:00Z");
const opts = { zone: "Europe/Berlin", now, name: "--start" };
const iso = (d: { toISO(): string | null }) => d.toISO();

describe("parseDate", () => {
  it("reads a day as local midnight", () => {
    expect(iso(parseDate("2026-03-29", opts))).toBe("2026-03-29T00:00:00.000+01:00");
  });

  it("honours the offset of an ISO date-time", () => {
    expect(parseDate("2026-11-27T23:30:00-02:00", opts).toUTC().toISO()).toBe("2026-11-28T01:30:00.000Z");
  });

  it("reads today and yesterday in the zone", () => {
    expect(iso(parseDate("today", opts))).toBe("2026-11-28T00:00:00.000+01:00");
    expect(iso(parseDate("Yesterday", opts))).toBe("2026-11-27T00:00:00.000+01:00");
  });

  it.each(["2026-13-01", "2026-02-30", "tomorrowish", "", "28.11.2026"])("rejects %j naming the argument", (input) => {
    expect(() => parseDate(input, opts)).toThrow(HomeUsageError);
    expect(() => parseDate(input, opts)).toThrow(/^--start: cannot read/);
  });
});

describe("toDayRange", () => {
  const names = { zone: "Europe/Berlin", now, startName: "--start", endName: "--end" };
  it("counts both ends", () => {
    const range = toDayRange(parseDate("2026-11-01", opts), parseDate("2026-11-28", opts), names);
    expect(countDays(range)).toBe(28);
  });

  it("counts a DST change day once", () => {
    const range = toDayRange(parseDate("2026-03-28", opts), parseDate("2026-03-30", opts), {
      ...names,
      zone: "Europe/Berlin",
    });
    expect(countDays(range)).toBe(3);
  });

  it("refuses an end before the start, and an end after today", () => {
    expect(() => toDayRange(parseDate("2026-11-10", opts), parseDate("2026-11-09", opts), names)).toThrow(
      "--end: 2026-11-09 is before the start --start 2026-11-10; swap them",
    );
    // Without --end the job reads through today: a start after it is said plainly.
    expect(() =>
      toDayRange(parseDate("2026-12-10", opts), parseDate("2026-11-28", opts), { ...names, endName: "today" }),
    ).toThrow("--start: 2026-12-10 is after today (2026-11-28); there is nothing to read yet");
    expect(() => toDayRange(parseDate("2026-11-10", opts), parseDate("2026-11-29", opts), names)).toThrow(
      "--end: 2026-11-29 is after today (2026-11-28)",
    );
  });
});
