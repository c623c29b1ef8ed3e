import { describe, expect, it } from "vitest";
import { createEta, formatEta, plural } from "./progress.js";

describe("the progress ETA", () => {
  it("waits for a few seconds of data, then follows the rate over the run's extent", () => {
    let now = 0;
    const eta = createEta({ now: () => now, settleMs: 3_000 });
    // The first day took long (the scan's first record): that must not become a 965 s promise.
    now = 9_000;
    expect(eta({ days: 1, total: 100 })).toBeNull();
    now = 10_000;
    expect(eta({ days: 11, total: 100 })).toBeNull();
    now = 12_000;
    // 30 days in 3 s since the first report: 70 days left take 7 s.
    expect(eta({ days: 31, total: 100 })).toBe(7);
    now = 15_000;
    expect(eta({ days: 100, total: 100 })).toBe(0);
  });

  it("reads as people write it", () => {
    expect(formatEta(null)).toBe("…");
    expect(formatEta(45)).toBe("45s");
    expect(formatEta(185)).toBe("3m 05s");
    expect(formatEta(3720)).toBe("1h 02m");
    expect(plural(1, "day")).toBe("1 day");
    expect(plural(0, "day")).toBe("0 days");
    expect(plural(2, "day")).toBe("2 days");
  });
});
