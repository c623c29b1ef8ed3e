// The usage page as a person sees it: the real server, the real rollup, headless Chromium.
import { existsSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { type HomeUsageConfig, loadConfig, runAggregation } from "@home-usage/core";
import { type DemoDataSummary, demoLoginOf, writeDemoData, writeDemoRoles } from "@home-usage/demo";
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
const SCREENSHOTS = "/tmp";
const TOKEN = "browser-token-0123456789abcdef";
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

const servers: Server[] = [];
let config: HomeUsageConfig;
/** The secured server's clock, moved forward to expire sessions. */
let securedNow = new Date(NOW);
let secured = "";
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

/** A table row as the page shows it: its period label (data-period), then the cells: period, people, logins, status. */
type Row = [string, string, string, string, string];

beforeAll(async () => {
  // Kept for the tests to throw: a failing beforeAll makes vitest report the tests as skipped, not failed.
  browser = existsSync(CHROMIUM)
    ? await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS }).catch((error: Error) => error)
    : new Error(
        `the browser test needs Chromium at ${CHROMIUM} (Debian: apt-get install chromium); .ci/run installs it`,
      );

  config = await loadConfig({
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

  base = await listen(config, "127.0.0.1");
  secured = await listen({ ...config, apiTokens: [TOKEN] }, "127.0.0.1", () => securedNow);
}, 120_000);

afterAll(async () => {
  if (browser && !(browser instanceof Error)) await browser.close();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function listen(settings: HomeUsageConfig, host: string, clock?: () => Date): Promise<string> {
  const app = createServer({
    client: t.client,
    config: settings,
    clock,
    logger: winston.createLogger({ silent: true }),
  });
  const listening = app.listen(0, host);
  servers.push(listening);
  await new Promise<void>((resolve, reject) => {
    listening.once("listening", resolve).once("error", reject);
  });
  return `http://${host}:${(listening.address() as AddressInfo).port}`;
}

describe("the usage page in Chromium", { timeout: 60_000 }, () => {
  it("shows the weekly report by default: chart, table, downloads and embed snippets", async () => {
    const { page, problems } = await open();
    await page.goto(`${base}/usage/login`);

    expect(await page.title()).toBe("Distinct people per week · home-usage");
    expect(await page.locator("select[name=aggregate]").inputValue()).toBe("week");
    const rows = await tableRows(page, "week");
    // The demo log begins on 2026-09-06 (W36), NOW is in W45; W36 has no processed day, W37 only admin logins.
    expect(rows.map((r) => r[0])).toEqual([
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
    expect(rows[0]?.[1]).toBe("7–13 Sept 2026 (W37)");
    expectCounts(rows, expected.week);
    // The job starts on the day of the first login, admin's on Monday 2026-09-07: W37 is whole. The last
    // week contains now.
    expect(rows.map((r) => r[4])).toEqual([...Array(8).fill("complete"), "incomplete"]);
    await expectChartMatches(page, rows);
    const ticks = await tickLabels(page);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    for (const tick of ticks) expect(tick).toMatch(/^2026-W\d\d$/);
    expect(await page.locator("p.note").textContent()).toContain("Not processed, so no row: 2026-W32 – 2026-W36.");

    // No arguments given, so the links carry none but their own.
    const links = await downloadLinks(page);
    expect(links).toEqual({
      CSV: `${base}/usage/login/raw?content_type=csv`,
      JSON: `${base}/usage/login/raw?content_type=json`,
      SVG: `${base}/usage/login/plot.svg`,
      PNG: `${base}/usage/login/plot.png?scale=2`,
    });
    await expectDownloadsMatch(links, rows);
    const snippets = await page
      .locator("#embed textarea")
      .evaluateAll((all) => all.map((t) => (t as HTMLTextAreaElement).value));
    expect(snippets[0]).toBe(`![Distinct people per week](${base}/usage/login/plot.svg)`);
    expect(snippets[3]).toBe(`![Distinct people per week](${base}/usage/login/plot.png?scale=2)`);
    await expectSvg(`${base}/usage/login/plot.svg`, rows.length);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("switches to months through the form, and the page agrees with the raw JSON", async () => {
    const { page, problems } = await open();
    await page.goto(`${base}/usage/login`);
    const weeks = await tableRows(page, "week");

    await page.locator("select[name=aggregate]").selectOption("month");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL((url) => url.searchParams.get("aggregate") === "month");

    const url = new URL(page.url());
    expect(url.pathname).toBe("/usage/login");
    expect(await page.locator("select[name=aggregate]").inputValue()).toBe("month");
    expect(await page.locator("h1").textContent()).toBe("Distinct people per month");
    expect(await page.locator("p.lead").textContent()).toContain("per month;");

    const rows = await tableRows(page, "month");
    expect(rows.length).toBeLessThan(weeks.length);
    expect(rows.map((r) => [r[0], r[1], r[4]])).toEqual([
      ["2026-09", "September 2026", "incomplete"],
      ["2026-10", "October 2026", "complete"],
      ["2026-11", "November 2026", "incomplete"],
    ]);
    expectCounts(rows, expected.month);
    await expectChartMatches(page, rows);
    expect(await tickLabels(page)).toEqual(["2026-09", "2026-10", "2026-11"]);

    const raw = await fetch(`${base}/usage/login/raw?aggregate=month`);
    const { data } = (await raw.json()) as { data: { period: string; user: number; logins: number }[] };
    expect(rows.map((r) => [r[0], r[2], r[3]])).toEqual(data.map((r) => [r.period, String(r.user), String(r.logins)]));
    const links = await downloadLinks(page);
    expect(links.CSV).toBe(`${base}/usage/login/raw?aggregate=month&content_type=csv`);
    await expectDownloadsMatch(links, rows);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("works with JavaScript off: chart, table and the form", async () => {
    const { page, problems } = await open({ javaScriptEnabled: false });
    await page.goto(`${base}/usage/login`);
    const weeks = await tableRows(page, "week");
    expect(weeks).toHaveLength(9);
    await expectChartMatches(page, weeks);
    await page.locator("select[name=aggregate]").selectOption("month");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL((url) => url.searchParams.get("aggregate") === "month");
    const months = await tableRows(page, "month");
    expect(months.map((r) => r[0])).toEqual(["2026-09", "2026-10", "2026-11"]);
    await expectChartMatches(page, months);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("shows a bad argument next to its field, in the page", async () => {
    const { page } = await open();
    await page.goto(`${base}/usage/login`);
    await page.locator("input[name=start]").fill("soon");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL((url) => url.searchParams.get("start") === "soon");
    const error = page.locator("#start-error");
    expect(await error.textContent()).toMatch(/^start: cannot read "soon" as a date/);
    expect(await page.locator("input[name=start]").getAttribute("aria-invalid")).toBe("true");
    // Beside its field: inside the same label.
    expect(await error.evaluate((e) => e.parentElement?.querySelector("input")?.name)).toBe("start");
    await page.screenshot({ path: `${SCREENSHOTS}/page-form-error.png` });
    await page.context().close();
  });
});

describe("the page's layout", { timeout: 60_000 }, () => {
  it.each([
    [390, "light"],
    [390, "dark"],
    [1280, "light"],
    [1280, "dark"],
  ] as const)(
    "fits %s px in the %s scheme: no sideways scroll, the chart fills its column, legible text",
    async (width, scheme) => {
      const { page, problems } = await open({ viewport: { width, height: 900 }, colorScheme: scheme });
      await page.goto(`${base}/usage/login?aggregate=day`);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBe(0);
      const chart = page.locator("#chart svg:visible");
      expect(await chart.count()).toBe(1);
      const box = await chart.boundingBox();
      const column = await page.locator("#chart").boundingBox();
      expect(box?.width).toBeCloseTo(column?.width ?? 0, 0);
      // Drawn text size: the SVG's 12px scaled by how wide it is drawn.
      const smallest = await chart.evaluate((svg) => {
        const scale = svg.getBoundingClientRect().width / (svg as SVGSVGElement).viewBox.baseVal.width;
        const sizes = [...svg.querySelectorAll("text")].map(
          (t) => Number.parseFloat(getComputedStyle(t).fontSize) * scale,
        );
        return Math.min(...sizes);
      });
      expect(smallest).toBeGreaterThanOrEqual(11);
      // The retention heatmap: one drawing for the width, every share written, still legible on a phone.
      const heat = page.locator("#retention svg:visible");
      expect(await heat.count()).toBe(1);
      const cells = await heat.evaluate((svg) => {
        const scale = svg.getBoundingClientRect().width / (svg as SVGSVGElement).viewBox.baseVal.width;
        const numbers = [...svg.querySelectorAll("text")].filter((t) => /^\d+%?$/.test(t.textContent ?? ""));
        return {
          rects: svg.querySelectorAll(".hu-cell rect").length,
          written: numbers.filter((t) => t.closest(".hu-ink")).length,
          smallest: Math.min(...numbers.map((t) => Number.parseFloat(getComputedStyle(t).fontSize) * scale)),
        };
      });
      expect(cells.rects).toBeGreaterThan(0);
      expect(cells.written).toBe(cells.rects);
      expect(cells.smallest).toBeGreaterThanOrEqual(9);
      const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      expect(background).toBe(scheme === "dark" ? "rgb(13, 17, 23)" : "rgb(255, 255, 255)");
      const chartBackground = await chart.evaluate(
        (svg) => getComputedStyle(svg.querySelector(".hu-background") as Element).fill,
      );
      expect(chartBackground).toBe(scheme === "dark" ? "rgb(13, 17, 23)" : "rgb(255, 255, 255)");
      // By week: each period's label on one or two lines, no embed snippet cut, the title's placeholder whole.
      await page.goto(`${base}/usage/login?aggregate=week`);
      const layout = await page.evaluate(() => {
        const cells = [...document.querySelectorAll<HTMLElement>("#data tbody td:first-child")];
        const lines = cells.map(
          (td) => td.getBoundingClientRect().height / Number.parseFloat(getComputedStyle(td).lineHeight),
        );
        const snippets = [...document.querySelectorAll<HTMLTextAreaElement>(".embed textarea")].map(
          (t) => t.scrollWidth - t.clientWidth + Math.max(0, t.scrollHeight - t.clientHeight),
        );
        const title = document.querySelector<HTMLInputElement>('input[name="title"]') as HTMLInputElement;
        const context = document.createElement("canvas").getContext("2d") as CanvasRenderingContext2D;
        context.font = getComputedStyle(title).font;
        const room = title.clientWidth - Number.parseFloat(getComputedStyle(title).paddingLeft) * 2;
        return { lines, snippets, placeholder: context.measureText(title.placeholder).width - room };
      });
      expect(Math.max(...layout.lines)).toBeLessThan(2.6);
      expect(layout.snippets.every((cut) => cut <= 0)).toBe(true);
      expect(layout.placeholder).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${SCREENSHOTS}/page-${width}-${scheme}.png`, fullPage: true });
      await page.screenshot({ path: `${SCREENSHOTS}/page-${width}-${scheme}-top.png` });
      expect(problems).toEqual([]);
      await page.context().close();
    },
  );
});

describe("signing in with a browser", { timeout: 60_000 }, () => {
  it("asks for a token, refuses a wrong one next to the field, lets the right one in, and signs out", async () => {
    const { page } = await open();
    await page.goto(`${secured}/usage/login?aggregate=month`);
    expect(new URL(page.url()).pathname).toBe("/signin");
    expect(await page.locator("h1").textContent()).toBe("Sign in");

    await page.locator("input[name=token]").fill("not-the-token-at-all");
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await page.locator("#token-error").textContent()).toBe("the API token is not valid");
    expect(await page.context().cookies()).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}/signin-wrong-token.png` });

    await page.locator("input[name=token]").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/usage/login");
    expect(new URL(page.url()).searchParams.get("aggregate")).toBe("month");
    expect((await tableRows(page, "month")).map((r) => r[0])).toEqual(["2026-09", "2026-10", "2026-11"]);
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", secure: false });
    expect(cookie?.value).not.toContain(TOKEN);
    expect(cookie?.expires).toBeGreaterThan(0);
    // The page's links work with the session; other clients still need the bearer token.
    const links = await downloadLinks(page);
    expect((await page.request.get(links.CSV as string)).status()).toBe(200);
    expect((await fetch(links.CSV as string)).status).toBe(401);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/signin");
    await page.goto(`${secured}/usage/login`);
    expect(new URL(page.url()).pathname).toBe("/signin");
    await page.context().close();
  });

  it("sends a browser whose session has expired back to the sign-in form, saying so", async () => {
    const { page } = await open();
    await page.goto(`${secured}/signin`);
    await page.locator("input[name=token]").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/usage/login");
    securedNow = new Date(new Date(NOW).getTime() + 13 * 3600_000);
    try {
      await page.reload();
      expect(new URL(page.url()).pathname).toBe("/signin");
      expect(await page.locator("[role=status]").textContent()).toBe("Your session has expired; sign in again.");
    } finally {
      securedNow = new Date(NOW);
    }
    await page.context().close();
  });
});

describe("signing in with a core4 account in a browser", { timeout: 60_000 }, () => {
  let core4 = "";
  beforeAll(async () => {
    await writeDemoRoles(t.db.collection("sys.role"), { users: 3 });
    const roles = { db: t.name, collection: "sys.role" };
    core4 = await listen({ ...config, roles, core4Permission: "api://home.usage" }, "127.0.0.1");
  });

  it("refuses a wrong password with the one message, lets the demo's olga.berger in by name, and signs out", async () => {
    const { page } = await open();
    await page.goto(`${core4}/usage/login`);
    expect(new URL(page.url()).pathname).toBe("/signin");
    await page.locator("input[name=username]").fill("olga.berger");
    await page.locator("input[name=password]").fill("not-her-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await page.locator("#password-error").textContent()).toBe("name or password not valid");
    expect(await page.locator("input[name=username]").inputValue()).toBe("olga.berger");
    expect(await page.context().cookies()).toEqual([]);

    await page.locator("input[name=password]").fill("olga-demo-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/usage/login");
    expect(await page.locator(".who").textContent()).toBe("Signed in as olga.berger");
    await page.screenshot({ path: `${SCREENSHOTS}/signin-core4-signed-in.png` });
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/signin");
    // The old cookie, put back, no longer opens anything: the session ended on the server.
    await page.context().addCookies([cookie as never]);
    await page.goto(`${core4}/usage/login`);
    expect(new URL(page.url()).pathname).toBe("/signin");
    await page.context().close();
  });

  it("refuses a form another origin's page posts to /signin", async () => {
    const { page } = await open();
    // The attacker's page, served by the browser's own routing: another site.
    const attacker = "http://attacker.example/";
    await page.route(attacker, (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<form method="post" action="${core4}/signin"><input name="username" value="olga.berger"><input name="password" value="olga-demo-password"><button>go</button></form>`,
      }),
    );
    await page.goto(attacker);
    const [response] = await Promise.all([page.waitForResponse(`${core4}/signin`), page.locator("button").click()]);
    expect(response.status()).toBe(403);
    expect(await page.context().cookies(core4)).toEqual([]);
    await page.context().close();
  });
});

describe("on a network address over plain HTTP", { timeout: 60_000 }, () => {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && !i.internal && i.family === "IPv4")?.address;

  it.skipIf(!address)("the form works: no upgrade to https", async () => {
    const lan = await listen(config, address as string);
    const { page, problems } = await open();
    const response = await page.goto(`${lan}/usage/login`);
    expect(response?.headers()["content-security-policy"]).not.toContain("upgrade-insecure-requests");
    await page.locator("select[name=aggregate]").selectOption("month");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL((url) => url.searchParams.get("aggregate") === "month");
    expect(page.url()).toBe(`${lan}/usage/login?start=&end=&aggregate=month&metric=users&title=`);
    expect((await tableRows(page, "month")).map((r) => r[0])).toEqual(["2026-09", "2026-10", "2026-11"]);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

/** A page in a fresh context, with what went wrong on it: console errors, page errors, failed requests. */
async function open(
  options: {
    javaScriptEnabled?: boolean;
    viewport?: { width: number; height: number };
    colorScheme?: "light" | "dark";
  } = {},
): Promise<{ page: Page; problems: string[] }> {
  if (browser instanceof Error) throw browser;
  if (!browser) throw new Error("the browser did not start");
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
  });
  return { page, problems };
}

async function tableRows(page: Page, aggregate: string): Promise<Row[]> {
  expect(await page.locator("#data table thead th").allTextContents()).toEqual([
    aggregate,
    "distinct people",
    "logins",
    "status",
  ]);
  return page
    .locator("#data table tbody tr")
    .evaluateAll((trs) =>
      trs.map((tr) => [
        tr.getAttribute("data-period") ?? "",
        // The text as shown: a phone-only note in the label is hidden at this width.
        // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is compared.
        ...Array.from(tr.querySelectorAll("td"), (td) => (td as HTMLElement).innerText.trim()),
      ]),
    )
    .then((rows) => rows as Row[]);
}

/** Every table row has its dot, and each dot's tooltip gives that row's numbers. */
async function expectChartMatches(page: Page, rows: Row[]): Promise<void> {
  const svg = page.locator("#chart svg:visible");
  expect(await svg.count()).toBe(1);
  const circles = svg.locator("circle");
  expect(await circles.count()).toBe(rows.length);
  const titles = await circles.locator("title").allTextContents();
  const fromDots = titles.map((title) => title.split("\n").slice(0, 3).join("|")).sort();
  const fromTable = rows
    .map(
      ([period, , people, logins]) =>
        `${period}|${people} distinct ${people === "1" ? "person" : "people"}|${logins} login${logins === "1" ? "" : "s"}`,
    )
    .sort();
  expect(fromDots).toEqual(fromTable);
}

function tickLabels(page: Page): Promise<string[]> {
  return page.locator('#chart svg:visible g[aria-label="x-axis tick label"] text').allTextContents();
}

function expectCounts(rows: Row[], counts: Map<string, Count>): void {
  const periods = new Set(rows.map((r) => r[0]));
  for (const period of counts.keys()) expect(periods).toContain(period);
  for (const [period, , people, logins] of rows) {
    const count = counts.get(period) ?? { user: 0, logins: 0 };
    expect([period, Number(people.replace(/,/g, "")), Number(logins.replace(/,/g, ""))]).toEqual([
      period,
      count.user,
      count.logins,
    ]);
  }
}

async function downloadLinks(page: Page): Promise<Record<string, string>> {
  const anchors = page.locator("#data a");
  expect(await anchors.allTextContents()).toEqual(["CSV", "JSON", "SVG", "PNG"]);
  const hrefs = await anchors.evaluateAll((as) => as.map((a) => [a.textContent ?? "", a.getAttribute("href") ?? ""]));
  return Object.fromEntries(hrefs);
}

/** The download links answer, and with the numbers the table shows. */
async function expectDownloadsMatch(links: Record<string, string>, rows: Row[]): Promise<void> {
  const csv = await fetch(links.CSV as string);
  expect(csv.status).toBe(200);
  expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
  expect(csv.headers.get("content-disposition")).toMatch(/^attachment; filename=home-usage-\w+-[\d-]+-[\d-]+\.csv$/);
  const lines = (await csv.text()).trim().split("\n");
  expect(lines[0]).toMatch(/^timestamp,period,user,logins,partial,previous,new,returning,resurrected,dormant,/);
  expect(lines.slice(1).map((line) => line.split(",").slice(1, 4))).toEqual(rows.map((r) => [r[0], r[2], r[3]]));

  const json = await fetch(links.JSON as string);
  expect(json.status).toBe(200);
  const { data } = (await json.json()) as { data: { period: string; user: number }[] };
  expect(data.map((r) => [r.period, String(r.user)])).toEqual(rows.map((r) => [r[0], r[2]]));

  await expectSvg(links.SVG as string, rows.length);
  const png = await fetch(links.PNG as string);
  expect(png.status).toBe(200);
  expect(png.headers.get("content-type")).toBe("image/png");
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
