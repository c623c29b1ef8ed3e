// The README's definitions of the metrics are the ones the page shows: one source, checked here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseMetric } from "../chart/chart.js";
import { formatReport } from "./report-format.js";
import type { UsageRow } from "./usage-report.js";
import { FIELD_DECIMALS, formatMetric, METRIC_TERMS } from "./vocabulary.js";

const README = readFileSync(join(import.meta.dirname, "..", "..", "..", "..", "README.md"), "utf8");

describe("the metric vocabulary", () => {
  it("is what the README's list of metrics says, word for word", () => {
    const section = README.slice(README.indexOf("<!-- metrics:"), README.indexOf("<!-- /metrics -->"));
    const listed = section
      .split("\n")
      .filter((line) => line.startsWith("- `"))
      .map((line) => line.match(/^- `(\w+)` \((.+?)\): (.*)$/)?.slice(1));
    expect(listed).toEqual(METRIC_TERMS.map((t) => [t.field, t.label, t.description]));
  });

  it("writes each number field one way: ratios as percentages, averages with fixed decimals", () => {
    expect(formatMetric("stickiness", 0.4125)).toBe("41 %");
    expect(formatMetric("dailyAverage", 26)).toBe("26.00");
    expect(formatMetric("dailyAverage", 18.857142)).toBe("18.86");
    expect(formatMetric("user", 1234)).toBe("1,234");
    expect(FIELD_DECIMALS.dailyAverage).toBe(2);
  });

  it("writes dailyAverage and stickiness with the same decimals in every text format", () => {
    const row = (period: string, dailyAverage: number, stickiness: number): UsageRow => ({
      ...{ timestamp: `${period}T00:00:00.000Z`, end: `${period}T00:00:00.000Z`, period, user: 10, logins: 20 },
      ...{ partial: false, previous: 9 },
      ...{ new: 1, returning: 8, resurrected: 1, dormant: 1, dailyAverage, stickiness, days: 7, unprocessedDays: 0 },
    });
    const rows = [row("2026-11-02", 18.857142, 0.4255), row("2026-11-09", 41, 0.5), row("2026-11-16", 26, 0.26)];
    for (const format of ["text", "csv", "markdown", "html"] as const) {
      const out = formatReport(rows, format);
      for (const value of ["18.86", "41.00", "26.00", "0.4255", "0.5000", "0.2600"])
        expect(out, format).toContain(value);
      expect(out, format).not.toContain("18.857");
      expect(out, format).not.toMatch(/[ ,|>]41[ ,|<\n]/);
    }
    expect(JSON.parse(formatReport(rows, "json"))[0].dailyAverage).toBe(18.857142);
  });

  it("takes the report's column name, user, for the chart of distinct people", () => {
    expect(parseMetric("user")).toBe("users");
  });
});
