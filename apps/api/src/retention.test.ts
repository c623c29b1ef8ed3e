// The retention routes, really listening on port 0, against the test database.
import type { AddressInfo } from "node:net";
import { loadConfig, RETENTION_DEFINITION, runAggregation, signEmbedToken } from "@home-usage/core";
import { JSDOM } from "jsdom";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import winston from "winston";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import type { Login } from "../../../tools/test/oracle.js";
import { comparableRetention, retentionOracle } from "../../../tools/test/retention-oracle.js";
import { createServer } from "./server.js";

const t = useTestDatabase("api_retention");
const NOW = "2026-11-18T12:00:00Z";
const ZONE = "Europe/Berlin";
const SECRET = "embed-secret-for-tests-0123456789";
const quiet = winston.createLogger({ silent: true });

/** A year of logins: a newcomer or two most weeks, each coming back for a while at their own rate. */
const logins: Login[] = [];
for (let p = 0; p < 40; p++) {
  const joined = Date.parse("2025-11-12T07:00:00Z") + p * 8.7 * 86_400_000;
  const every = 3 + (p % 9) * 4; // days between logins
  const stays = 20 + ((p * 37) % 200); // days until they stop
  for (let d = 0; d <= stays && joined + d * 86_400_000 < Date.parse(NOW); d += every) {
    logins.push({ user: `u${p}`, created: new Date(joined + d * 86_400_000 + (p % 5) * 3_600_000) });
  }
}
// Back after half a year away.
logins.push({ user: "u0", created: new Date("2026-06-10T09:00:00Z") });

let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const config = await loadConfig({
    env: { ...databaseEnv(t), HOME_USAGE_NOW: NOW, HOME_USAGE_TIMEZONE: ZONE, HOME_USAGE_EMBED_SECRET: SECRET },
  });
  await t.db
    .collection("sys.log")
    .insertMany(logins.map((l) => ({ created: l.created, message: "successful login", user: l.user })));
  await runAggregation({ client: t.client, config, host: "test", pid: process.pid });
  const server = createServer({ client: t.client, config, logger: quiet }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
}, 120_000);

afterAll(async () => {
  await close?.();
});

const get = (path: string, init?: RequestInit) => fetch(`${base}${path}`, init);
const expected = (kind: "week" | "month", start: string, end: string, periods: number) =>
  retentionOracle(logins, { zone: ZONE, first: "2025-11-12", last: "2026-11-18", kind, start, end, periods, now: NOW });

describe("/usage/login/retention", () => {
  it("answers monthly and weekly cohorts as the independent count from the log has them", async () => {
    const monthly = await get("/usage/login/retention?cohort=m&start=2025-11-01&end=2026-12-01&periods=12");
    expect(monthly.status).toBe(200);
    const body = await monthly.json();
    expect(body).toMatchObject({ code: 200, message: "OK" });
    expect(comparableRetention(body.data)).toEqual(expected("month", "2025-11-01", "2026-12-01", 12));
    expect(Object.keys(body.data[0]).join(",")).toBe("cohort,cohortStart,size,k,period,active,share,partial");
    expect(body.data[0]).toMatchObject({ cohort: "2025-11", cohortStart: "2025-11-01T00:00:00.000+01:00", k: 0 });

    const weekly = await get("/usage/login/retention?cohort=week&start=2026-03-01&end=2026-11-18&periods=8");
    expect(comparableRetention((await weekly.json()).data)).toEqual(expected("week", "2026-03-01", "2026-11-18", 8));
  });

  it("takes its arguments from a JSON body too, and defaults to the last 12 weeks with 12 periods", async () => {
    const res = await get("/usage/login/retention", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ cohort: "month", periods: 3, start: "2026-06-01" }),
    });
    const rows = (await res.json()).data as { cohort: string; k: number }[];
    expect(rows.filter((r) => r.k === 0).map((r) => r.cohort)).toEqual([
      "2026-06",
      "2026-07",
      "2026-08",
      "2026-09",
      "2026-10",
      "2026-11",
    ]);
    expect(Math.max(...rows.map((r) => r.k))).toBe(3);
    const defaults = (await (await get("/usage/login/retention")).json()).data as { cohort: string; k: number }[];
    const cohorts = [...new Set(defaults.map((r) => r.cohort))];
    expect(cohorts).toHaveLength(12);
    expect(cohorts.at(-1)).toBe("2026-W47");
    expect(Math.max(...defaults.map((r) => r.k))).toBe(11);
  });

  it.each([
    ["cohort=d", 'cohort: unknown "d" (use w, week, m or month)'],
    ["cohort=quarter", 'cohort: unknown "quarter" (use w, week, m or month)'],
    ["periods=0", "periods: must be a whole number from 1 to 52"],
    ["periods=53", "periods: must be a whole number from 1 to 52"],
    ["periods=many", "periods: must be a whole number from 1 to 52"],
    [
      "start=2026-06-01&end=2026-05-01",
      "end: 2026-05-01 is not after start 2026-06-01; swap them, or give a later end",
    ],
    ["aggregate=w", 'unknown argument "aggregate"'],
  ])("answers 400 with a JSON envelope to %s", async (query, message) => {
    const res = await get(`/usage/login/retention?${query}`);
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ code: 400, error: { type: "bad_request" } });
    expect(body.message).toContain(message);
  });

  it("answers CSV with share as a number, and text, Markdown and HTML with share as a percentage", async () => {
    const query = "cohort=month&start=2026-09-01&end=2026-10-01&periods=2";
    const rows = expected("month", "2026-09-01", "2026-10-01", 2);
    const csv = await get(`/usage/login/retention?${query}&content_type=csv`);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(csv.headers.get("content-disposition")).toBe(
      "attachment; filename=home-usage-retention-month-2026-09-01-2026-10-01.csv",
    );
    const lines = (await csv.text()).trim().split("\n");
    expect(lines[0]).toBe("cohort,cohortStart,size,k,period,active,share,partial");
    expect(lines[2]).toBe(
      `2026-09,2026-09-01T00:00:00.000+02:00,${rows[1]?.size},1,2026-10,${rows[1]?.active},${rows[1]?.share},false`,
    );
    const text = await (await get(`/usage/login/retention?${query}&content_type=text`)).text();
    const percent = `${((rows[1]?.share ?? 0) * 100).toFixed(1)}%`;
    expect(text.split("\n")[2]).toMatch(
      new RegExp(`^2026-09 .* 2026-10 +${rows[1]?.active} +${percent.replace(".", "\\.")} +no$`),
    );
    expect(await (await get(`/usage/login/retention?${query}&content_type=markdown`)).text()).toContain(percent);
    expect(await (await get(`/usage/login/retention?${query}`, { headers: { accept: "text/html" } })).text()).toContain(
      "<table>",
    );
  });
});

describe("/usage/login/retention/plot", () => {
  it("draws the heatmap as an accessible SVG with the shares written in the cells and the sizes beside", async () => {
    const res = await get("/usage/login/retention/plot.svg?cohort=m&start=2026-06-01&end=2026-09-01&periods=3");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("image/svg+xml");
    const rows = expected("month", "2026-06-01", "2026-09-01", 3);
    const svg = new JSDOM(await res.text(), { contentType: "image/svg+xml" }).window.document;
    expect(svg.querySelector("svg")?.getAttribute("role")).toBe("img");
    expect(svg.querySelector("title")?.textContent).toBe("Newcomers who came back, by month of first login");
    const desc = svg.querySelector("desc")?.textContent ?? "";
    const june = rows.filter((r) => r.cohort === "2026-06");
    expect(desc).toContain(
      `2026-06, ${june[0]?.size} people: ${june.map((r) => `${Math.round(r.share * 100)}%`).join(", ")}.`,
    );
    const texts = [...svg.querySelectorAll("text")].map((n) => n.textContent);
    for (const r of rows) expect(texts).toContain(`${Math.round(r.share * 100)}%`);
    for (const size of new Set(rows.map((r) => r.size))) expect(texts).toContain(String(size));
    expect(svg.querySelectorAll("g.hu-cell rect")).toHaveLength(rows.length);
  });

  it("stays readable at 390 px: every share written in the cells, at 9 px or more", async () => {
    const res = await get("/usage/login/retention/plot.svg?cohort=w&periods=12&width=390&theme=auto");
    const svg = new JSDOM(await res.text(), { contentType: "image/svg+xml" }).window.document;
    expect(svg.querySelector("svg")?.getAttribute("viewBox")).toMatch(/^0 0 390 /);
    const cells = svg.querySelectorAll("g.hu-cell rect");
    expect(cells.length).toBe(12 + 11 + 10 + 9 + 8 + 7 + 6 + 5 + 4 + 3 + 2 + 1);
    const numbers = [...svg.querySelectorAll("g.hu-ink[font-size]")].filter((g) => /^\d/.test(g.textContent ?? ""));
    const written = numbers.flatMap((g) => [...g.querySelectorAll("text")]);
    expect(written).toHaveLength(cells.length);
    for (const g of numbers) expect(Number(g.getAttribute("font-size"))).toBeGreaterThanOrEqual(9);
    // `auto` carries the dark cells for a dark scheme.
    expect(svg.querySelector("style")?.textContent).toContain("prefers-color-scheme: dark");
  });

  it("answers a PNG and 304 to a matching ETag", async () => {
    const png = await get("/usage/login/retention/plot.png?cohort=m&periods=6&scale=2");
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe("PNG");
    const etag = png.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"/);
    const again = await get("/usage/login/retention/plot.png?cohort=m&periods=6&scale=2", {
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
  });

  it("draws signed embeds, and refuses tokens of the other chart and tampered ones", async () => {
    const expires = new Date(Date.parse(NOW) + 86_400_000);
    const token = signEmbedToken({ chart: "retention", cohort: "month", periods: "4" }, { secret: SECRET, expires });
    const svg = await get(`/usage/login/retention/embed/${token}.svg?theme=dark`);
    expect(svg.status).toBe(200);
    expect(await svg.text()).toContain("by month of first login");
    const png = await get(`/usage/login/retention/embed/${token}.png`);
    expect(png.headers.get("content-type")).toBe("image/png");
    // What it shows may not be changed beside the token.
    expect((await get(`/usage/login/retention/embed/${token}.svg?cohort=week`)).status).toBe(400);
    const usage = signEmbedToken({ aggregate: "w" }, { secret: SECRET, expires });
    expect((await get(`/usage/login/retention/embed/${usage}.svg`)).status).toBe(403);
    expect((await get(`/usage/login/embed/${token}.svg`)).status).toBe(403);
    expect((await get(`/usage/login/retention/embed/${token.slice(0, -2)}xx.svg`)).status).toBe(403);
  });
});

describe("the page and the OpenAPI document", () => {
  it("shows a retention section with the heatmap and its signed embed", async () => {
    const html = await (await get("/usage/login?aggregate=m")).text();
    const page = new JSDOM(html).window.document;
    const section = page.querySelector("#retention");
    expect(section?.querySelector("h2")?.textContent).toBe("Do newcomers stay? Retention by month of first login");
    expect(section?.querySelectorAll("svg")).toHaveLength(2);
    const links = [...(section?.querySelectorAll("a") ?? [])].map((a) => a.getAttribute("href") ?? "");
    expect(links.some((l) => l.includes("/usage/login/retention?cohort=month&content_type=csv"))).toBe(true);
    expect(links.some((l) => /\/usage\/login\/retention\/embed\/[\w-]+\.[\w-]+\.svg$/.test(l))).toBe(true);
  });

  it("defines the rows in the same words as the README", async () => {
    const doc = await (await get("/openapi.json")).json();
    expect(doc.components.schemas.RetentionRow.description).toBe(RETENTION_DEFINITION);
    expect(doc.paths["/usage/login/retention"].get.description).toBe(RETENTION_DEFINITION);
    const { readFile } = await import("node:fs/promises");
    const readme = await readFile(new URL("../../../README.md", import.meta.url), "utf8");
    expect(readme).toContain(RETENTION_DEFINITION);
  });
});
