// The usage page as a person sees it: the real server, the real rollup, headless Chromium.
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig, runAggregation } from "@home-usage/core";
import { type DemoDataSummary, demoLoginOf, writeDemoData } from "@home-usage/demo";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import winston from "winston";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { createServer } from "./server.js";

// Debian's package; the suite never downloads a browser.
const CHROMIUM = "/usr/bin/chromium";
const NOW = "2026-11-05T12:00:00Z";
// The demo log's last day is the day before NOW, so the report's default range (90 days back) holds it all.
const DEMO = { days: 60, users: 20, seed: 3, end: new Date("2026-11-04T00:00:00Z") };
const SCREENSHOT = "/tmp/page-browser.png";
const BROWSER_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const t = useTestDatabase("page");

let server: Server | undefined;
/** The browser, or why it did not start. */
let browser: Browser | Error | undefined;
let base = "";
let demo: DemoDataSummary;
/** Distinct users and logins per period, counted straight from the demo log, not through home-usage. */
let expected: { week: Map<string, Count>; month: Map<string, Count> };

interface Count {
  user: number;
  logins: number;
}

/** A table row as the page shows it: timestamp, period, user, logins, partial. */
type Row = [string, string, string, string, string];

beforeAll(async () => {
  // Kept for the tests to throw: a failing beforeAll makes vitest report the tests as skipped, not failed.
  browser = existsSync(CHROMIUM)
    ? await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS }).catch((error: Error) => error)
    : new Error(
        `the browser test needs Chromium at ${CHROMIUM} (Debian: apt-get install chromium); .ci/run installs it`,
      );

  const config = await loadConfig({
    env: { ...databaseEnv(t), HOME_USAGE_NOW: NOW },
  });
  const log = t.db.collection("sys.log");
  demo = await writeDemoData(log, DEMO);
  await runAggregation({ client: t.client, config, host: "test", pid: process.pid });

  const logins = (await log.find({}, { projection: { user: 1, message: 1, created: 1 } }).toArray()).flatMap((r) => {
    const user = demoLoginOf(r);
    return user === null || user === "admin" ? [] : [{ user, created: r.created as Date }];
  });
  expect(logins.length).toBe(demo.logins);
  expected = {
    week: countBy(logins, isoWeek),
    month: countBy(logins, (d) => d.toISOString().slice(0, 7)),
  };

  const app = createServer({ client: t.client, config, logger: winston.createLogger({ silent: true }) });
  const listening = app.listen(0, "127.0.0.1");
  server = listening;
  await new Promise<void>((resolve, reject) => {
    listening.once("listening", resolve).once("error", reject);
  });
  base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  if (browser && !(browser instanceof Error)) await browser.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe("the usage page in Chromium", { timeout: 60_000 }, () => {
  it("shows the weekly report by default: chart, table, downloads and an embed snippet", async () => {
    const { page, problems } = await open();
    await page.goto(`${base}/usage/login`);

    expect(await page.title()).toBe("Unique users · home-usage");
    expect(await page.locator("select[name=aggregate]").inputValue()).toBe("week");
    const rows = await tableRows(page);
    // The demo log begins on 2026-09-06 (W36), NOW is in W45; W36 has no processed day, W37 only admin logins.
    expect(rows.map((r) => r[1])).toEqual([
      "2026-W37",
      "2026-W38",
      "2026-W39",
      "2026-W40",
      "2026-W41",
      "2026-W42",
      "2026-W43",
      "2026-W44",
      "2026-W45",
    ]);
    expectCounts(rows, expected.week);
    // The first week has unprocessed days, the last contains now.
    expect(rows.map((r) => r[4])).toEqual(["true", ...Array(7).fill("false"), "true"]);
    await expectChartMatches(page, rows);
    const ticks = await tickLabels(page);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    for (const tick of ticks) expect(tick).toMatch(/^2026-W\d\d$/);
    expect(ticks).toContain("2026-W45");
    expect(await page.locator("p.note").textContent()).toContain("2026-W32, 2026-W33, 2026-W34, 2026-W35, 2026-W36");

    // No arguments given, so the links carry none but their own.
    const links = await downloadLinks(page);
    expect(links).toEqual({
      CSV: `${base}/usage/login/raw?content_type=csv`,
      JSON: `${base}/usage/login/raw?content_type=json`,
      SVG: `${base}/usage/login/plot.svg`,
    });
    await expectDownloadsMatch(links, rows);
    const markdown = await page.locator("#embed textarea").first().inputValue();
    expect(markdown).toBe(`![Unique users](${base}/usage/login/plot.svg)`);
    await expectSvg(`${base}/usage/login/plot.svg`, rows.length);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("switches to months through the form, and the page agrees with the raw JSON", async () => {
    const { page, problems } = await open();
    await page.goto(`${base}/usage/login`);
    const weeks = await tableRows(page);

    await page.locator("select[name=aggregate]").selectOption("month");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL((url) => url.searchParams.get("aggregate") === "month");

    const url = new URL(page.url());
    expect(url.pathname).toBe("/usage/login");
    expect(url.searchParams.get("aggregate")).toBe("month");
    expect(await page.locator("select[name=aggregate]").inputValue()).toBe("month");
    expect(await page.locator("h1").textContent()).toBe("Unique users");
    expect(await page.locator("body > p").first().textContent()).toContain("per month");

    const rows = await tableRows(page);
    expect(rows.length).toBeLessThan(weeks.length);
    expect(rows.map((r) => [r[1], r[4]])).toEqual([
      ["2026-09", "true"],
      ["2026-10", "false"],
      ["2026-11", "true"],
    ]);
    expectCounts(rows, expected.month);
    await expectChartMatches(page, rows);
    expect(await tickLabels(page)).toEqual(["2026-09", "2026-10", "2026-11"]);

    const raw = await fetch(`${base}/usage/login/raw?aggregate=month`);
    expect(raw.status).toBe(200);
    const { data } = (await raw.json()) as {
      data: { timestamp: string; period: string; user: number; logins: number; partial: boolean }[];
    };
    expect(rows).toEqual(data.map((r) => [r.timestamp, r.period, String(r.user), String(r.logins), String(r.partial)]));

    const links = await downloadLinks(page);
    expect(links).toEqual({
      CSV: `${base}/usage/login/raw?aggregate=month&content_type=csv`,
      JSON: `${base}/usage/login/raw?aggregate=month&content_type=json`,
      SVG: `${base}/usage/login/plot.svg?aggregate=month`,
    });
    await expectDownloadsMatch(links, rows);
    expect(await page.locator("#embed textarea").first().inputValue()).toBe(
      `![Unique users](${base}/usage/login/plot.svg?aggregate=month)`,
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("works with JavaScript off: chart, table and the form", async () => {
    const { page, problems } = await open({ javaScriptEnabled: false });
    await page.goto(`${base}/usage/login`);
    const weeks = await tableRows(page);
    expect(weeks).toHaveLength(9);
    await expectChartMatches(page, weeks);
    const box = await page.locator("#chart > svg").boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    expect(box?.height).toBeGreaterThan(150);

    await page.locator("select[name=aggregate]").selectOption("month");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL((url) => url.searchParams.get("aggregate") === "month");
    const months = await tableRows(page);
    expect(months.map((r) => r[1])).toEqual(["2026-09", "2026-10", "2026-11"]);
    await expectChartMatches(page, months);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

/** A page in a fresh context, with what went wrong on it: console errors, page errors, failed requests. */
async function open(options: { javaScriptEnabled?: boolean } = {}): Promise<{ page: Page; problems: string[] }> {
  if (browser instanceof Error) throw browser;
  if (!browser) throw new Error("the browser did not start");
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  // Chromium asks for a favicon by itself; the page does not link one, and the 404 is no fault of the page.
  const favicon = (url: string) => new URL(url).pathname === "/favicon.ico";
  page.on("console", (message) => {
    if (message.type() === "error" && !favicon(message.location().url)) {
      problems.push(`console: ${message.text()} (${message.location().url})`);
    }
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    if (response.status() >= 400 && !favicon(response.url())) {
      problems.push(`${response.status()}: ${response.url()}`);
    }
  });
  return { page, problems };
}

async function tableRows(page: Page): Promise<Row[]> {
  expect(await page.locator("#data table thead th").allTextContents()).toEqual([
    "timestamp",
    "period",
    "user",
    "logins",
    "partial",
  ]);
  return page
    .locator("#data table tbody tr")
    .evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td) => td.textContent?.trim() ?? "")))
    .then((rows) => rows as Row[]);
}

/** Every table row has its dot, and each dot's tooltip gives that row's numbers. */
async function expectChartMatches(page: Page, rows: Row[]): Promise<void> {
  const svg = page.locator("#chart > svg");
  expect(await svg.count()).toBe(1);
  const circles = svg.locator("circle");
  expect(await circles.count()).toBe(rows.length);
  const titles = await circles.locator("title").allTextContents();
  const fromDots = titles.map((title) => title.split("\n").slice(0, 3).join("|")).sort();
  const fromTable = rows
    .map(
      ([, period, user, logins]) =>
        `${period}|${user} distinct user${user === "1" ? "" : "s"}|${logins} login${logins === "1" ? "" : "s"}`,
    )
    .sort();
  expect(fromDots).toEqual(fromTable);
}

function tickLabels(page: Page): Promise<string[]> {
  return page.locator('#chart svg g[aria-label="x-axis tick label"] text').allTextContents();
}

function expectCounts(rows: Row[], counts: Map<string, Count>): void {
  const periods = new Set(rows.map((r) => r[1]));
  for (const period of counts.keys()) expect(periods).toContain(period);
  for (const [, period, user, logins] of rows) {
    const count = counts.get(period) ?? { user: 0, logins: 0 };
    expect([period, Number(user), Number(logins)]).toEqual([period, count.user, count.logins]);
  }
}

async function downloadLinks(page: Page): Promise<Record<string, string>> {
  const anchors = page.locator("#data a");
  expect(await anchors.allTextContents()).toEqual(["CSV", "JSON", "SVG"]);
  const hrefs = await anchors.evaluateAll((as) => as.map((a) => [a.textContent ?? "", a.getAttribute("href") ?? ""]));
  return Object.fromEntries(hrefs);
}

/** The download links answer, and with the numbers the table shows. */
async function expectDownloadsMatch(links: Record<string, string>, rows: Row[]): Promise<void> {
  const csv = await fetch(links.CSV as string);
  expect(csv.status).toBe(200);
  expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
  const lines = (await csv.text()).trim().split("\n");
  expect(lines[0]).toBe("timestamp,period,user,logins,partial");
  expect(lines.slice(1).map((line) => line.split(","))).toEqual(rows);

  const json = await fetch(links.JSON as string);
  expect(json.status).toBe(200);
  const { data } = (await json.json()) as { data: { period: string; user: number }[] };
  expect(data.map((r) => [r.period, String(r.user)])).toEqual(rows.map((r) => [r[1], r[2]]));

  await expectSvg(links.SVG as string, rows.length);
}

async function expectSvg(url: string, dots: number): Promise<void> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
  expect((await response.text()).match(/<circle /g)).toHaveLength(dots);
}

function countBy(logins: { user: string; created: Date }[], key: (day: Date) => string): Map<string, Count> {
  const periods = new Map<string, { users: Set<string>; logins: number }>();
  for (const { user, created } of logins) {
    const period = key(created);
    const entry = periods.get(period) ?? { users: new Set(), logins: 0 };
    entry.users.add(user);
    entry.logins++;
    periods.set(period, entry);
  }
  return new Map([...periods].map(([period, { users, logins }]) => [period, { user: users.size, logins }]));
}

/** The ISO 8601 week of a UTC instant, `2026-W45`: the week's Thursday decides the year. */
function isoWeek(instant: Date): string {
  const thursday = new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate()));
  thursday.setUTCDate(thursday.getUTCDate() + 4 - (thursday.getUTCDay() || 7));
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 / 7) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}
