// The README's definitions of the metrics are the ones the page shows: one source, checked here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
    expect(formatMetric("dailyAverage", 26)).toBe("26.0");
    expect(formatMetric("dailyAverage", 18.857142)).toBe("18.9");
    expect(formatMetric("user", 1234)).toBe("1,234");
    expect(FIELD_DECIMALS.dailyAverage).toBe(1);
  });
});
