// The page names periods as people do, and its notice of periods without data names consecutive periods as
// one range, across year ends.
import { type Period, periodOfLabel } from "@home-usage/core";
import { expect, it } from "vitest";
import { collapseRanges, humanPeriod } from "./page.js";

/** A row's period as the report gives it: its start and end in the zone, from core's calendar. */
function rowOf(label: string, zone = "Europe/Berlin") {
  const span = periodOfLabel(label, zone);
  if (!span) throw new Error(`no period ${label}`);
  return { timestamp: span.start.toISO() as string, end: span.end.toISO() as string, period: span.label };
}

it.each([
  ["2026-11-16", "day", "Mon 16 Nov 2026"],
  ["2026-03-29", "day", "Sun 29 Mar 2026"],
  ["2026-W47", "week", "16–22 Nov 2026 (W47)"],
  ["2026-W49", "week", "30 Nov–6 Dec 2026 (W49)"],
  ["2026-W53", "week", "28 Dec 2026–3 Jan 2027 (W53)"],
  ["2026-11", "month", "November 2026"],
  ["2026-Q4", "quarter", "Q4 2026 (Oct–Dec)"],
  ["2027-Q1", "quarter", "Q1 2027 (Jan–Mar)"],
  ["2026", "year", "2026"],
] as const)("names %s as people read it", (label, aggregate: Period, expected) => {
  expect(humanPeriod(rowOf(label), aggregate)).toBe(expected);
  expect(humanPeriod(rowOf(label, "Pacific/Kiritimati"), aggregate)).toBe(expected);
});

it("names consecutive periods as ranges, across week-years, quarters and months", () => {
  // 2026 has 53 ISO weeks (it begins on a Thursday): W53 follows W52, and 2027-W01 follows W53.
  expect(collapseRanges(["2026-W51", "2026-W52", "2026-W53", "2027-W01", "2027-W03"], "week")).toEqual([
    "2026-W51 – 2027-W01",
    "2027-W03",
  ]);
  expect(collapseRanges(["2026-Q3", "2026-Q4", "2027-Q1", "2027-Q3"], "quarter")).toEqual([
    "2026-Q3 – 2027-Q1",
    "2027-Q3",
  ]);
  expect(collapseRanges(["2026-11", "2026-12", "2027-01", "2027-03"], "month")).toEqual([
    "2026-11 – 2027-01",
    "2027-03",
  ]);
  expect(collapseRanges(["2026-12-31", "2027-01-01", "2027-01-03"], "day")).toEqual([
    "2026-12-31 – 2027-01-01",
    "2027-01-03",
  ]);
  expect(collapseRanges(["2025", "2026", "2028"], "year")).toEqual(["2025 – 2026", "2028"]);
});
