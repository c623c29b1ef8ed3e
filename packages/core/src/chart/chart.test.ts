import { JSDOM } from "jsdom";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import type { UsageRow } from "../report/usage-report.js";
import { nextPeriod, type Period, periodKeys, periodOf } from "../time/periods.js";
import { type ChartRow, calendarTicks, parseMetric, renderChart } from "./chart.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const ZONE = "Europe/Berlin";

/** Consecutive periods from the one containing `first`, labelled by the same code the report uses. */
function series(
  period: Period,
  first: string,
  users: readonly number[],
  partial: (i: number) => boolean = () => false,
): UsageRow[] {
  let span = periodOf(DateTime.fromISO(first, { zone: ZONE }), period);
  return users.map((user, i) => {
    if (i > 0) span = nextPeriod(span);
    return {
      timestamp: span.start.toISO() ?? "",
      end: span.end.toISO() ?? "",
      period: span.label,
      user,
      logins: user * 3,
      partial: partial(i),
      previous: 0,
      new: user,
      returning: 0,
      resurrected: 0,
      dormant: 0,
      dailyAverage: user / 2,
      stickiness: 0.5,
      days: 1,
      unprocessedDays: 0,
    };
  });
}

/** Parses as a browser does an `image/svg+xml` response; a well-formedness error throws or yields a parsererror. */
function parse(svg: string): Document {
  const { document } = new JSDOM(svg, { contentType: "image/svg+xml" }).window;
  expect(document.getElementsByTagName("parsererror")).toHaveLength(0);
  return document;
}

const texts = (doc: Document, selector: string) => [...doc.querySelectorAll(selector)].map((e) => e.textContent ?? "");
const xTickLabels = (doc: Document) => texts(doc, 'g[aria-label="x-axis tick label"] text');
const translateX = (e: Element) => Number(/translate\(([-\d.]+),/.exec(e.getAttribute("transform") ?? "")?.[1]);

async function withTimeZone<T>(zone: string, run: () => Promise<T>): Promise<T> {
  const saved = process.env.TZ;
  process.env.TZ = zone;
  try {
    return await run();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

const weeks = series("week", "2026-10-05", [120, 135, 128, 140, 150, 90, 145, 123]);

describe("renderChart", () => {
  it("is a standalone SVG document of the asked size", async () => {
    const svg = await renderChart(weeks, { aggregate: "week", width: 640, height: 300 });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).not.toContain("<figure");
    const root = parse(svg).documentElement;
    expect(root.localName).toBe("svg");
    expect(root.namespaceURI).toBe(SVG_NS);
    expect(root.getAttribute("width")).toBe("640");
    expect(root.getAttribute("height")).toBe("300");
    expect(root.getAttribute("viewBox")).toBe("0 0 640 300");
    // Readable as an <img>, where no page stylesheet applies.
    expect(root.getAttribute("color")).toBe("#1f2328");
    expect(root.getAttribute("font-family")).toMatch(/sans-serif$/);
    expect(root.querySelector(":scope > rect.hu-background")?.getAttribute("fill")).toBe("#ffffff");
  });

  it("defaults to 800 by 400", async () => {
    const root = parse(await renderChart(weeks, { aggregate: "week" })).documentElement;
    expect(root.getAttribute("viewBox")).toBe("0 0 800 400");
  });

  it("gives every dot one tooltip with the period, its distinct people and its logins", async () => {
    const doc = parse(await renderChart(weeks, { aggregate: "week" }));
    const circles = [...doc.querySelectorAll("circle")];
    expect(circles).toHaveLength(weeks.length);
    for (const circle of circles) expect(circle.getElementsByTagName("title")).toHaveLength(1);
    expect(doc.querySelectorAll("circle > title")).toHaveLength(weeks.length);
    expect(texts(doc, "circle > title")).toContain("2026-W48\n123 distinct people\n369 logins");
  });

  it("labels the y axis with distinct people from 0, in whole numbers", async () => {
    const doc = parse(await renderChart(series("day", "2026-11-01", [0, 1, 3, 2]), { aggregate: "day" }));
    expect(doc.documentElement.textContent).toContain("distinct people");
    expect(texts(doc, 'g[aria-label="y-axis tick label"] text')).toEqual(["0", "1", "2", "3"]);
  });

  it("draws incomplete periods hollow, with dashed lines into and out of them", async () => {
    const rows = series("week", "2026-10-05", [120, 135, 128, 140, 150, 90, 145, 123], (i) => i === 0 || i === 7);
    const doc = parse(await renderChart(rows, { aggregate: "week" }));
    const fillOf = (circle: Element) => circle.getAttribute("fill") ?? circle.parentElement?.getAttribute("fill");
    const hollow = [...doc.querySelectorAll("circle")].filter((c) => fillOf(c) === "#ffffff");
    expect(hollow.map((c) => c.textContent)).toEqual([
      "2026-W41\n120 distinct people\n360 logins\n(incomplete)",
      "2026-W48\n123 distinct people\n369 logins\n(incomplete)",
    ]);
    expect(doc.querySelectorAll("circle")).toHaveLength(rows.length);
    expect(doc.querySelectorAll("[stroke-dasharray]")).toHaveLength(1);
    expect(doc.documentElement.textContent).toContain("incomplete period");
  });

  it("draws no dashes and no hollow dots when every period is complete", async () => {
    const doc = parse(await renderChart(weeks, { aggregate: "week" }));
    expect(doc.querySelectorAll("[stroke-dasharray]")).toHaveLength(0);
    expect([...doc.querySelectorAll("circle")].some((c) => c.parentElement?.getAttribute("fill") === "#ffffff")).toBe(
      false,
    );
    expect(doc.documentElement.textContent).not.toContain("incomplete");
  });

  it.each([
    ["day", "2026-11-21", "2026-11-28"],
    ["week", "2026-10-05", "2026-W48"],
    ["month", "2026-04-01", "2026-11"],
    ["quarter", "2025-01-01", "2026-Q4"],
    ["year", "2019-01-01", "2026"],
  ] as const)("labels %s ticks as the periods are labelled", async (aggregate, first, newest) => {
    const rows = series(aggregate, first, [5, 6, 7, 8, 9, 10, 11, 12]);
    const labels = xTickLabels(parse(await renderChart(rows, { aggregate })));
    expect(labels).toContain(newest);
    expect(labels.every((label) => rows.some((row) => row.period === label))).toBe(true);
  });

  it("thins the ticks so labels never overlap", async () => {
    const rows = series(
      "day",
      "2017-01-01",
      Array.from({ length: 3650 }, (_, i) => i % 40),
    );
    const doc = parse(await renderChart(rows, { aggregate: "day", width: 800 }));
    const labels = xTickLabels(doc);
    expect(labels.length).toBeGreaterThan(3);
    expect(labels.length).toBeLessThanOrEqual(800 / 90);
    // Calendar steps: on ten years of days, the starts of years.
    for (const label of labels) expect(label).toMatch(/-01-01$/);
    const xs = [...doc.querySelectorAll('g[aria-label="x-axis tick label"] text')].map(translateX);
    for (let i = 1; i < xs.length; i++) expect((xs[i] ?? 0) - (xs[i - 1] ?? 0)).toBeGreaterThanOrEqual(70);
  });

  it("places a local day where it is in the configured zone, whatever the server's zone", async () => {
    // 2026-03-29 is the day Berlin moves to summer time: it starts at +01:00 and the next day at +02:00.
    const rows = series("day", "2026-03-28", [3, 4, 5]);
    expect(rows.map((row) => row.timestamp)).toEqual([
      "2026-03-28T00:00:00.000+01:00",
      "2026-03-29T00:00:00.000+01:00",
      "2026-03-30T00:00:00.000+02:00",
    ]);
    const render = async () => [
      await renderChart(rows, { aggregate: "day" }),
      new Date(2026, 0, 1).getTimezoneOffset(),
    ];
    const west = await withTimeZone("America/Los_Angeles", render);
    const east = await withTimeZone("Pacific/Kiritimati", render);
    expect(west[1]).not.toBe(east[1]);
    expect(west[0]).toBe(east[0]);

    const doc = parse(String(west[0]));
    const tick = [...doc.querySelectorAll('g[aria-label="x-axis tick label"] text')].find(
      (e) => e.textContent === "2026-03-29",
    );
    const cx = (label: string) =>
      Number([...doc.querySelectorAll("circle")].find((c) => c.textContent?.startsWith(label))?.getAttribute("cx"));
    expect(tick).toBeDefined();
    expect(translateX(tick as Element)).toBe(cx("2026-03-29"));
    // The 23-hour day takes a whole day's width, like its neighbours.
    expect(cx("2026-03-29") - cx("2026-03-28")).toBe(cx("2026-03-30") - cx("2026-03-29"));
  });

  it("renders identical rows to identical bytes, and different rows differently", async () => {
    const options = { aggregate: "week", title: "Weekly" } as const;
    const first = await renderChart(weeks, options);
    expect(await renderChart(weeks, options)).toBe(first);
    expect(await renderChart(series("week", "2026-10-05", [120, 135]), options)).not.toBe(first);
    expect(
      await renderChart(
        weeks.map((row, i) => (i === 3 ? { ...row, user: 141 } : row)),
        options,
      ),
    ).not.toBe(first);
    // Plot numbers clip paths and patterns from a global counter; none may appear.
    expect(first).not.toMatch(/\sid="/);
  });

  it("escapes the title and the labels", async () => {
    const title = "<script>alert(1)</script> & more";
    const rows = [{ ...(weeks[0] as UsageRow), period: '<b onload="x()">W</b>' }, ...weeks.slice(1)];
    const svg = await renderChart(rows, { aggregate: "week", title });
    expect(svg).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more");
    const doc = parse(svg);
    expect(doc.getElementsByTagName("script")).toHaveLength(0);
    expect(doc.getElementsByTagName("b")).toHaveLength(0);
    expect(doc.documentElement.textContent).toContain(title);
    expect(texts(doc, "circle > title")[0]).toMatch(/^<b onload="x\(\)">W<\/b>\n/);
  });

  it("keeps text that XML cannot carry from breaking the document", async () => {
    const svg = await renderChart(weeks, { aggregate: "week", title: "a\u00a0b\u0007c\nd\ud800e" });
    expect(parse(svg).documentElement.textContent).toContain("a bc de");
  });

  it("says no data, at the same size and with the title, when there are no rows", async () => {
    const doc = parse(await renderChart([], { aggregate: "month", title: "Monthly", width: 500, height: 300 }));
    expect(doc.documentElement.getAttribute("viewBox")).toBe("0 0 500 300");
    expect(texts(doc, "text")).toEqual(["Monthly", "no data"]);
    expect(doc.querySelectorAll("circle")).toHaveLength(0);
  });

  it("centres a single period", async () => {
    const rows = series("month", "2026-11-01", [42], () => true);
    const doc = parse(await renderChart(rows, { aggregate: "month", width: 800 }));
    const circle = doc.querySelector("circle");
    expect(circle?.textContent).toBe("2026-11\n42 distinct people\n126 logins\n(incomplete)");
    // Halfway between the 52px left and 28px right margins.
    expect(Number(circle?.getAttribute("cx"))).toBeCloseTo((52 + 800 - 28) / 2, 0);
    expect(xTickLabels(doc)).toEqual(["2026-11"]);
  });

  it("renders ten years of days, a dot each", async () => {
    const rows = series(
      "day",
      "2017-01-01",
      Array.from({ length: 3650 }, (_, i) => 50 + (i % 30)),
      (i) => i === 3649,
    );
    const svg = await renderChart(rows, { aggregate: "day" });
    expect(parse(svg).querySelectorAll("circle")).toHaveLength(3650);
  });

  it("is an accessible image: role img, a <title>, and a <desc> with the range, the latest complete value and its change", async () => {
    const rows = series("week", "2026-10-05", [120, 135, 128, 140], (i) => i === 3);
    const range = { start: "2026-10-05", end: "2026-11-01", zone: ZONE, asOf: "2026-11-01 06:00" };
    const root = parse(await renderChart(rows, { aggregate: "week", range })).documentElement;
    expect(root.getAttribute("role")).toBe("img");
    expect(root.firstElementChild?.localName).toBe("title");
    expect(root.firstElementChild?.textContent).toBe("Distinct people per week");
    expect(root.querySelector(":scope > desc")?.textContent).toBe(
      "Distinct people per week. From 2026-10-05 to 2026-11-01 (Europe/Berlin), as of 2026-11-01 06:00. " +
        "Latest complete week, 2026-W43: 128 distinct people, down 7 (-5%) from 2026-W42 (135).",
    );
    // The subtitle says the same range, zone and time.
    expect(texts(root.ownerDocument, "text")).toContain(
      "2026-10-05 – 2026-11-01 · Europe/Berlin · as of 2026-11-01 06:00",
    );
  });

  it("writes no text smaller than 11px, at the root's 12px", async () => {
    const doc = parse(await renderChart(weeks, { aggregate: "week", width: 360, height: 300 }));
    expect(doc.documentElement.getAttribute("font-size")).toBe("12");
    for (const element of doc.querySelectorAll("[font-size]")) {
      expect(Number.parseFloat(element.getAttribute("font-size") ?? "")).toBeGreaterThanOrEqual(11);
    }
  });

  it.each([
    ["light", "#ffffff", "#1f2328"],
    ["dark", "#0d1117", "#e6edf3"],
  ] as const)("draws the %s theme in its own colours", async (theme, background, ink) => {
    const root = parse(await renderChart(weeks, { aggregate: "week", theme })).documentElement;
    expect(root.getAttribute("color")).toBe(ink);
    expect(root.querySelector(".hu-background")?.getAttribute("fill")).toBe(background);
    expect(root.querySelector("style")?.textContent).not.toContain("prefers-color-scheme");
  });

  it("follows the viewer's colour scheme with theme auto, and leaves the background out when transparent", async () => {
    const root = parse(
      await renderChart(weeks, { aggregate: "week", theme: "auto", background: "transparent" }),
    ).documentElement;
    const style = root.querySelector("style")?.textContent ?? "";
    expect(style).toContain("@media (prefers-color-scheme: dark)");
    expect(style).toContain(".hu-chart .hu-background { fill: none; }");
    expect(root.querySelector(".hu-background")?.getAttribute("fill")).toBe("none");
  });

  it.each([
    ["day", "2026-08-03", "2026-10-30", /^2026-(08|09|10)-01$/],
    ["day", "2026-11-01", "2026-11-28", /^2026-11-(02|09|16|23)$/],
    ["week", "2024-08-26", "2026-11-23", /^20\d\d-W\d\d$/],
    ["month", "2020-01-01", "2026-11-01", /^20\d\d-01$/],
  ] as const)("puts %s ticks at calendar steps (%s to %s)", async (aggregate, from, to, pattern) => {
    const ticks = calendarTicks(aggregate, [new Date(from), new Date(to)], 700);
    expect(ticks.length).toBeGreaterThan(1);
    for (const tick of ticks)
      expect(periodKeys(DateTime.fromJSDate(tick, { zone: "UTC" }))[aggregate]).toMatch(pattern);
    if (aggregate === "week") {
      // Weeks over two years: the first week of every third month.
      for (const tick of ticks) {
        expect(tick.getUTCDate()).toBeLessThanOrEqual(7);
        expect(tick.getUTCMonth() % 3).toBe(0);
      }
    }
  });

  const lifecycle: ChartRow[] = series("week", "2026-10-05", [50, 60, 55]).map((row, i) => ({
    ...row,
    new: 5 + i,
    returning: 40,
    resurrected: 2,
    dormant: 7 - i,
    previous: 45,
    stickiness: 0.2 + i / 10,
  }));

  it("keeps the lifecycle legend clear of the axis label on a phone-wide chart", async () => {
    const allText = (doc: Document) => texts(doc, "text").join(" | ");
    const wide = parse(await renderChart(lifecycle, { aggregate: "week", metric: "lifecycle", width: 800 }));
    expect(allText(wide)).toContain("↑ people");
    expect(allText(wide)).toContain("■ dormant");
    const narrow = parse(await renderChart(lifecycle, { aggregate: "week", metric: "lifecycle", width: 360 }));
    // On a phone the legend takes two rows and the axis label a row of its own above them.
    const rowOf = (text: string) =>
      [...narrow.querySelectorAll("text")]
        .find((t) => t.textContent === text)
        ?.closest("g")
        ?.getAttribute("transform");
    expect(allText(narrow)).toContain("↑ people");
    for (const key of ["new", "returning", "resurrected", "dormant"]) expect(allText(narrow)).toContain(`■ ${key}`);
    expect(new Set(["↑ people", "■ new", "■ dormant"].map(rowOf)).size).toBe(3);
  });

  it("says what every mark is: the period before's grey line and incomplete periods, in every chart kind", async () => {
    const week = (start: string, end: string) => ({ timestamp: `${start}T00:00:00.000Z`, end: `${end}T00:00:00.000Z` });
    const rows = [
      { ...week("2026-11-09", "2026-11-16"), period: "2026-W46", user: 40, logins: 90, partial: false, previous: 38 },
      { ...week("2026-11-16", "2026-11-23"), period: "2026-W47", user: 42, logins: 99, partial: false, previous: 40 },
      { ...week("2026-11-23", "2026-11-30"), period: "2026-W48", user: 12, logins: 20, partial: true, previous: 42 },
    ];
    const line = parse(await renderChart(rows, { aggregate: "week", width: 800 }));
    expect(texts(line, "text")).toEqual(expect.arrayContaining(["— week before", "○ incomplete period"]));
    const cycle = lifecycle.map((r, i) => ({ ...r, partial: i === lifecycle.length - 1 }));
    const bars = parse(await renderChart(cycle, { aggregate: "week", metric: "lifecycle", width: 800 }));
    expect(texts(bars, "text")).toContain("▭ incomplete period");
    // The incomplete week's bars are outlined and faded.
    expect(bars.querySelectorAll("g.hu-outline rect")).toHaveLength(1);
    expect([...bars.querySelectorAll("g.hu-new rect")].map((r) => r.getAttribute("fill-opacity"))).toEqual([
      "0.9",
      "0.9",
      "0.35",
    ]);
    // Dormant people are drawn below zero, and the axis says so with a sign.
    const ticks = texts(bars, 'g[aria-label="y-axis tick label"] text');
    expect(ticks.some((t) => /^−\d/.test(t))).toBe(true);
    expect(ticks.filter((t) => /^\d/.test(t) && t !== "0").every((t) => Number(t) > 0)).toBe(true);
  });

  it("draws nothing smaller than it can keep legible: 320 × 260", async () => {
    const doc = parse(await renderChart(lifecycle, { aggregate: "week", width: 100, height: 100 }));
    expect(doc.documentElement.getAttribute("viewBox")).toBe("0 0 320 260");
  });

  it("stacks new, returning and resurrected above zero and dormant below for metric lifecycle", async () => {
    const doc = parse(await renderChart(lifecycle, { aggregate: "week", metric: "lifecycle" }));
    for (const kind of ["new", "returning", "resurrected", "dormant"]) {
      expect(doc.querySelectorAll(`g.hu-${kind} rect`), kind).toHaveLength(3);
    }
    const zero = Number(
      [...doc.querySelectorAll('g[aria-label="y-axis tick label"] text')]
        .find((t) => t.textContent === "0")
        ?.getAttribute("transform")
        ?.match(/,([-\d.]+)\)/)?.[1],
    );
    const [dormant] = doc.querySelectorAll("g.hu-dormant rect");
    const [fresh] = doc.querySelectorAll("g.hu-new rect");
    // SVG's y grows downwards: dormant starts at zero and goes down, new ends at zero and goes up.
    expect(Number(dormant?.getAttribute("y"))).toBeCloseTo(zero, 0);
    expect(Number(fresh?.getAttribute("y")) + Number(fresh?.getAttribute("height"))).toBeCloseTo(zero, 0);
    expect(doc.querySelector("desc")?.textContent).toContain(
      "2026-W43: 7 new, 40 returning, 2 resurrected, 5 dormant.",
    );
  });

  it("draws another metric as a line, and the previous period faintly beside distinct people", async () => {
    const sticky = parse(await renderChart(lifecycle, { aggregate: "week", metric: "stickiness" }));
    expect(texts(sticky, 'g[aria-label="y-axis tick label"] text').at(-1)).toMatch(/%$/);
    expect(sticky.querySelector("title")?.textContent).toBe("Stickiness per week");
    expect(sticky.querySelector(".hu-previous")).toBeNull();
    const users = parse(await renderChart(lifecycle, { aggregate: "week" }));
    expect(users.querySelectorAll(".hu-previous path")).toHaveLength(1);
  });

  it("reads metric names from a list, and names the allowed ones otherwise", () => {
    expect(parseMetric(undefined)).toBe("users");
    expect(parseMetric(" Lifecycle ")).toBe("lifecycle");
    for (const word of ["__proto__", "constructor", "toString", "mau"]) {
      expect(() => parseMetric(word)).toThrow(/^metric: unknown ".*" \(use users, logins, active7/);
    }
  });
});
