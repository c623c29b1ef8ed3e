import { describe, expect, it } from "vitest";
import { renderChart } from "./chart.js";
import { renderPng } from "./chart-png.js";

const rows = [
  ["2026-10-05", "2026-10-12"],
  ["2026-10-12", "2026-10-19"],
  ["2026-10-19", "2026-10-26"],
].map(([day, next], i) => ({
  timestamp: `${day}T00:00:00.000Z`,
  end: `${next}T00:00:00.000Z`,
  period: `2026-W${41 + i}`,
  user: 10 + i,
  logins: 30,
  partial: i === 2,
}));
const size = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];

describe("renderPng", () => {
  it("rasterises the chart at 1× and 2×", async () => {
    const svg = await renderChart(rows, { aggregate: "week", width: 500, height: 300, title: "Weekly" });
    const one = await renderPng(svg);
    expect(one.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(size(one)).toEqual([500, 300]);
    expect(size(await renderPng(svg, { scale: 2 }))).toEqual([1000, 600]);
  });

  it("gives the same bytes for the same chart, with the shipped font, whatever the machine has", async () => {
    const svg = await renderChart(rows, { aggregate: "week", theme: "dark" });
    const first = await renderPng(svg);
    expect((await renderPng(svg)).equals(first)).toBe(true);
    // Text is drawn: a chart with another title is other pixels.
    const other = await renderPng(await renderChart(rows, { aggregate: "week", theme: "dark", title: "Other" }));
    expect(other.equals(first)).toBe(false);
  });
});
