// The page's notice of periods without data names consecutive periods as one range, across year ends.
import { expect, it } from "vitest";
import { collapseRanges } from "./page.js";

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
