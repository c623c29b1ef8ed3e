// The chart workers of a built API (dist/chart-worker.js, which `pnpm test` builds first): once idle, the
// workers that drew are given back and one fresh, warm worker keeps drawing.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createChartRenderer } from "./chart-renderer.js";

const script = new URL("../dist/chart-worker.js", import.meta.url);

// Three weeks in which 3, 5 and 2 people logged in.
const rows = [3, 5, 2].map((user, week) => ({
  timestamp: new Date(Date.UTC(2026, 0, 5 + 7 * week)).toISOString(),
  end: new Date(Date.UTC(2026, 0, 12 + 7 * week)).toISOString(),
  period: `2026-W0${week + 2}`,
  user,
  logins: user * 2,
  partial: false,
}));

/** The pixel width of a PNG, from its IHDR chunk (the first, right after the 8-byte signature). */
const pngWidth = (png: Buffer) => {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return png.readUInt32BE(16);
};

let renderer: ReturnType<typeof createChartRenderer> | undefined;
afterEach(async () => {
  await renderer?.close();
  renderer = undefined;
});

describe("the chart workers", () => {
  it("are given back once idle, one fresh worker staying warm, and charts are drawn right after", async () => {
    renderer = createChartRenderer({ workers: 2, script, recycleAfterMs: 200 });
    const pool = renderer;
    const started = pool.threadIds();
    expect(started).toHaveLength(2);

    const draw = async (width: number) => {
      const svg = await pool.render(rows, { aggregate: "week", width, height: 300 });
      expect(svg).toMatch(new RegExp(`^<svg[^>]* width="${width}"`));
      return pngWidth(await pool.rasterise(svg, { scale: 2 }));
    };
    expect(await Promise.all([draw(640), draw(500)])).toEqual([1280, 1000]);

    // Idle: the workers that drew stop, and a single fresh one takes their place.
    await vi.waitFor(
      () => {
        const now = pool.threadIds();
        expect(now).toHaveLength(1);
        expect(started).not.toContain(now[0]);
      },
      { timeout: 20_000, interval: 50 },
    );
    const fresh = pool.threadIds();

    // A chart asked for right after is drawn, and the pool grows back to its two workers.
    expect(await Promise.all([draw(700), draw(420)])).toEqual([1400, 840]);
    expect(pool.threadIds()).toHaveLength(2);
    expect(pool.threadIds()).toContain(fresh[0]);
  });

  it("keep a pool that has not drawn as it is", async () => {
    renderer = createChartRenderer({ workers: 2, script, recycleAfterMs: 100 });
    const started = renderer.threadIds();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(renderer.threadIds()).toEqual(started);
  });
});
