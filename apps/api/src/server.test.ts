// The HTTP API, really listening on port 0, against the test database.
import { spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type HomeUsageConfig, loadConfig, parseRunDates, runAggregation, signEmbedToken } from "@home-usage/core";
import { JSDOM } from "jsdom";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import winston from "winston";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { createServer } from "./server.js";

const t = useTestDatabase("api");
const NOW = "2026-11-25T12:00:00Z";
const SECRET = "embed-secret-for-tests-0123456789";
const TOKEN = "api-token-for-tests-0123456789";
const quiet = winston.createLogger({ silent: true });

interface Served {
  base: string;
  close: () => Promise<void>;
}

async function serve(config: HomeUsageConfig): Promise<Served> {
  const server = createServer({ client: t.client, config, logger: quiet }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

let open: Served;
let secured: Served;

beforeAll(async () => {
  const env = {
    ...databaseEnv(t),
    HOME_USAGE_NOW: NOW,
    HOME_USAGE_EMBED_SECRET: SECRET,
  };
  const config = await loadConfig({ env });
  const login = (user: string, created: string) => ({ created: new Date(created), message: "successful login", user });
  await t.db.collection("sys.log").insertMany([
    login("ann", "2026-11-16T08:00:00Z"), // Monday, W47
    login("ann", "2026-11-22T08:00:00Z"), // Sunday, W47
    login("bob", "2026-11-18T08:00:00Z"),
    login("bob", "2026-11-18T09:00:00Z"),
    login("cid", "2026-11-24T08:00:00Z"), // W48
  ]);
  await runAggregation({ client: t.client, config, start: undefined, host: "test", pid: process.pid });
  open = await serve(config);
  secured = await serve(
    await loadConfig({ env: { ...env, HOME_USAGE_API_TOKENS: `other-token-0123456789,${TOKEN}` } }),
  );
});

afterAll(async () => {
  await open?.close();
  await secured?.close();
});

const RANGE = "start=2026-11-16&end=2026-11-25";
const get = (path: string, init?: RequestInit) => fetch(`${open.base}${path}`, init);
const postJson = (path: string, body: unknown) =>
  get(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("GET/POST /usage/login/raw", () => {
  it("takes metric as report --metric does: only that metric's columns", async () => {
    const body = await (await get(`/usage/login/raw?${RANGE}&aggregate=w&metric=user`)).json();
    expect(body.data).toEqual([
      { timestamp: "2026-11-16T00:00:00.000Z", period: "2026-W47", user: 2, partial: false },
      { timestamp: "2026-11-23T00:00:00.000Z", period: "2026-W48", user: 1, partial: true },
    ]);
    const text = await (await get(`/usage/login/raw?${RANGE}&aggregate=w&metric=lifecycle&content_type=csv`)).text();
    expect(text.split("\n")[0]).toBe("timestamp,period,new,returning,resurrected,dormant,partial");
    expect((await get(`/usage/login/raw?${RANGE}&metric=groups`)).status).toBe(400);
  });

  it("answers JSON in the envelope the original page reads", async () => {
    const res = await get(`/usage/login/raw?${RANGE}&aggregate=w`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body).toMatchObject({ code: 200, message: "OK", _id: expect.any(String), timestamp: expect.any(String) });
    expect(body.data).toEqual([
      {
        timestamp: "2026-11-16T00:00:00.000Z",
        period: "2026-W47",
        user: 2,
        logins: 4,
        partial: false,
        previous: 0,
        new: 2,
        returning: 0,
        resurrected: 0,
        dormant: 0,
        dailyAverage: 0.4286,
        stickiness: 0.2143,
        days: 7,
        unprocessedDays: 0,
      },
      {
        timestamp: "2026-11-23T00:00:00.000Z",
        period: "2026-W48",
        user: 1,
        logins: 1,
        partial: true,
        previous: 2,
        new: 1,
        returning: 0,
        resurrected: 0,
        dormant: 2,
        dailyAverage: 0.5,
        stickiness: 0.5,
        days: 2,
        unprocessedDays: 0,
      },
    ]);
  });

  it("takes arguments from a form body and a JSON body, the JSON body winning over the query", async () => {
    const form = await get(`/usage/login/raw?${RANGE}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "aggregate=d",
    });
    expect((await form.json()).data).toHaveLength(9);
    const json = await postJson(`/usage/login/raw?${RANGE}&aggregate=d`, { aggregate: "month" });
    expect((await json.json()).data.map((r: { period: string }) => r.period)).toEqual(["2026-11"]);
  });

  it.each([
    [
      "csv",
      "text/csv",
      "timestamp,period,user,logins,partial,previous,new,returning,resurrected,dormant,dailyAverage,stickiness,days,unprocessedDays\n2026-11-16T00:00:00.000Z,2026-W47,2,4,false,0,2,0,0,0,0.43,0.2143,7,0\n",
    ],
    ["text", "text/plain", "2026-11-16T00:00:00.000Z  2026-W47     2       4  no"],
    ["markdown", "text/markdown", "|timestamp|period|user|logins|partial|previous|new|"],
    ["html", "text/html", "<table>"],
  ])("answers %s when content_type asks for it", async (format, media, start) => {
    const res = await get(`/usage/login/raw?${RANGE}&content_type=${format}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain(media);
    expect(await res.text()).toContain(start);
  });

  it("follows the Accept header when content_type is absent", async () => {
    const csv = await get(`/usage/login/raw?${RANGE}`, { headers: { accept: "text/csv" } });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const any = await get(`/usage/login/raw?${RANGE}`, { headers: { accept: "*/*" } });
    expect(any.headers.get("content-type")).toContain("application/json");
  });
});

describe("GET/POST /usage/login/users", () => {
  it("lists the people of the range, as JSON and as a CSV download", async () => {
    const res = await get("/usage/login/users?start=2026-11-16&end=2026-11-23");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect((await res.json()).data).toEqual([
      {
        user: "ann",
        logins: 2,
        days: 2,
        firstSeen: "2026-11-16T08:00:00.000Z",
        lastSeen: "2026-11-22T08:00:00.000Z",
        account: null,
      },
      {
        user: "bob",
        logins: 2,
        days: 1,
        firstSeen: "2026-11-18T08:00:00.000Z",
        lastSeen: "2026-11-18T09:00:00.000Z",
        account: null,
      },
      {
        user: "cid",
        logins: 0,
        days: 0,
        firstSeen: "2026-11-24T08:00:00.000Z",
        lastSeen: "2026-11-24T08:00:00.000Z",
        account: null,
      },
    ]);
    const csv = await get("/usage/login/users?start=2026-11-16&end=2026-11-23&content_type=csv");
    expect(csv.headers.get("content-disposition")).toBe(
      "attachment; filename=home-usage-users-2026-11-16-2026-11-23.csv",
    );
    expect(await csv.text()).toMatch(/^user,logins,days,firstSeen,lastSeen,account\nann,2,2,2026-11-16T08:00:00.000Z,/);
  });

  it("is refused without a token when tokens are configured, and answers with one", async () => {
    const refused = await fetch(`${secured.base}/usage/login/users`);
    expect(refused.status).toBe(401);
    expect((await refused.json()).data).toBeUndefined();
    const allowed = await fetch(`${secured.base}/usage/login/users`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(allowed.status).toBe(200);
    expect((await allowed.json()).data.map((r: { user: string }) => r.user)).toEqual(["ann", "bob", "cid"]);
  });
});

describe("the rollup's time zone", () => {
  it("answers in the rollup's zone when none is set, and 409 naming both zones when another is set", async () => {
    const env = { ...databaseEnv(t), HOME_USAGE_NOW: NOW };
    const berlin = await serve(await loadConfig({ env: { ...env, HOME_USAGE_TIMEZONE: "Europe/Berlin" } }));
    try {
      const res = await fetch(`${berlin.base}/usage/login/raw?aggregate=d`);
      expect(res.status).toBe(409);
      expect((await res.json()).message).toContain("built in time zone UTC, but the time zone is set to Europe/Berlin");
      const chart = await fetch(`${berlin.base}/usage/login/plot.svg`);
      expect(chart.status).toBe(409);
    } finally {
      await berlin.close();
    }
  });
});

describe("the chart", () => {
  it("is a standalone SVG with a strong ETag, and answers If-None-Match with 304", async () => {
    const res = await get(`/usage/login/plot.svg?${RANGE}&aggregate=d`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=300, stale-while-revalidate=3600");
    const svg = await res.text();
    expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const etag = res.headers.get("etag");
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get(`/usage/login/plot?${RANGE}&aggregate=d`);
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe(svg);
    const cached = await get(`/usage/login/plot.svg?${RANGE}&aggregate=d`, {
      headers: { "if-none-match": etag ?? "" },
    });
    expect(cached.status).toBe(304);
    expect(await cached.text()).toBe("");
    const other = await get(`/usage/login/plot.svg?${RANGE}&aggregate=w`);
    expect(other.headers.get("etag")).not.toBe(etag);
  });

  it("escapes a hostile title", async () => {
    const title = encodeURIComponent('<script>alert(1)</script>"&');
    const svg = await (await get(`/usage/login/plot.svg?${RANGE}&title=${title}`)).text();
    const doc = new JSDOM(svg, { contentType: "image/svg+xml" }).window.document;
    expect(doc.querySelector("parsererror")).toBeNull();
    expect(doc.querySelector("script")).toBeNull();
    expect(doc.documentElement.textContent).toContain('<script>alert(1)</script>"&');
    const page = await (await get(`/usage/login?${RANGE}&title=${title}`)).text();
    expect(page).not.toContain("<script>alert(1)");
    expect(page).toContain("&#60;script&#62;alert(1)&#60;/script&#62;");
  });

  it("draws a chart that says no data for an empty range", async () => {
    const res = await get("/usage/login/plot.svg?start=2020-01-01&end=2020-02-01");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("no data");
  });
});

describe("the page", () => {
  it("renders the chart, the table, downloads and embed snippets with signed URLs", async () => {
    const res = await get(`/usage/login?${RANGE}&aggregate=w`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'none'");
    expect(res.headers.get("content-security-policy")).not.toContain("upgrade-insecure-requests");
    const doc = new JSDOM(await res.text()).window.document;
    expect(doc.querySelectorAll("#chart .wide svg circle")).toHaveLength(2);
    expect(doc.querySelectorAll("#chart .narrow svg circle")).toHaveLength(2);
    // The headline compares like with like: the latest complete week with the one before, and the
    // week in progress (Monday and Tuesday, Wednesday not over) with the same two days of the week before.
    expect(doc.querySelector("#headline")?.textContent?.replace(/\s+/g, " ")).toBe(
      "2 distinct people in 2026-W47, the latest complete week; the week before (2026-W46): 0 So far in 2026-W48: 1 distinct people; over its first 2 days, 1 against 1 over the same days of 2026-W47 ±0.0 %",
    );
    // No colour for a change nobody should notice.
    expect(doc.querySelector("#headline .change")?.className).toBe("change flat");
    // The lifecycle chart: stacked bars, with its own accessible description.
    expect(doc.querySelector("#lifecycle .wide svg")?.getAttribute("role")).toBe("img");
    expect([...doc.querySelectorAll("#data thead th")].map((th) => th.textContent)).toEqual([
      "week",
      "distinct people",
      "logins",
      "status",
    ]);
    expect(
      [...doc.querySelectorAll("#data tbody tr")].map((tr) => [...tr.children].map((td) => td.textContent).join(" | ")),
    ).toEqual(["16–22 Nov 2026 (W47) | 2 | 4 | complete", "23–29 Nov 2026 (W48) (incomplete) | 1 | 1 | incomplete"]);
    expect(doc.querySelector("#data tfoot")?.textContent).toContain("5");
    expect(doc.querySelector(".lead")?.textContent).toMatch(
      /^From 2026-11-16 to 2026-11-24 \(UTC\), per week; data as of \d{4}-\d\d-\d\d \d\d:\d\d\.$/,
    );
    const links = [...doc.querySelectorAll("#data a")].map((a) => a.getAttribute("href"));
    expect(links).toEqual([
      `${open.base}/usage/login/raw?start=2026-11-16&end=2026-11-25&aggregate=w&content_type=csv`,
      `${open.base}/usage/login/raw?start=2026-11-16&end=2026-11-25&aggregate=w&content_type=json`,
      `${open.base}/usage/login/plot.svg?start=2026-11-16&end=2026-11-25&aggregate=w`,
      `${open.base}/usage/login/plot.png?start=2026-11-16&end=2026-11-25&aggregate=w&scale=2`,
    ]);
    const snippets = [...doc.querySelectorAll("#embed textarea")].map((t) => t.textContent ?? "");
    expect(snippets).toHaveLength(4);
    const url = /\((http[^)]+)\)/.exec(snippets[0] ?? "")?.[1] ?? "";
    expect(url).toMatch(/\/usage\/login\/embed\/[\w-]+\.[\w-]+\.svg$/);
    const embedded = await fetch(url);
    expect(embedded.status).toBe(200);
    expect((await embedded.text()).match(/<circle/g)).toHaveLength(2);
    expect(snippets[2]).toMatch(
      /^<picture>\n {2}<source media="\(prefers-color-scheme: dark\)" srcset="[^"]+\.svg\?theme=dark">/,
    );
    const png = /\((http[^)]+)\)/.exec(snippets[3] ?? "")?.[1] ?? "";
    expect(png).toMatch(/\.png\?scale=2$/);
    const image = await fetch(png);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
  });

  it("collapses the periods without processed days into ranges", async () => {
    const page = await (await get("/usage/login?start=2026-10-20&end=2026-11-25&aggregate=w")).text();
    expect(page).toContain("Not processed, so no row: 2026-W43 – 2026-W46.");
  });

  it("shows the request's own range, not that of a cached report from the same minute", async () => {
    const lead = async (end: string) =>
      new JSDOM(await (await get(`/usage/login?start=2026-11-16&end=${end}`)).text()).window.document.querySelector(
        ".lead",
      )?.textContent;
    expect(await lead("2026-11-25T10:00")).toContain("From 2026-11-16 to 2026-11-25 10:00 (UTC)");
    expect(await lead("2026-11-25T10:00:30")).toContain("From 2026-11-16 to 2026-11-25 10:00 (UTC)");
    expect(await lead("2026-11-25")).toContain("From 2026-11-16 to 2026-11-24 (UTC)");
  });

  it("shows a bad argument next to its field, with the envelope's message, keeping what was typed", async () => {
    const res = await get("/usage/login?start=soon&aggregate=w");
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const doc = new JSDOM(await res.text()).window.document;
    const input = doc.querySelector("input[name=start]");
    expect(input?.getAttribute("value")).toBe("soon");
    expect(input?.getAttribute("aria-invalid")).toBe("true");
    expect(doc.getElementById("start-error")?.textContent).toBe(
      (await (await get("/usage/login/raw?start=soon")).json()).message,
    );
    expect(doc.querySelector("#chart")).toBeNull();
  });

  it("sends / to the page and has a favicon", async () => {
    const root = await get("/", { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(new URL(root.headers.get("location") ?? "", `${open.base}/`).pathname).toBe("/usage/login");
    const icon = await get("/favicon.ico");
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
  });

  it("downloads CSV as a file named for the report", async () => {
    const res = await get(`/usage/login/raw?${RANGE}&aggregate=m&content_type=csv`);
    expect(res.headers.get("content-disposition")).toBe(
      "attachment; filename=home-usage-month-2026-11-16-2026-11-25.csv",
    );
  });
});

describe("PNG charts", () => {
  const size = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];

  it("are PNGs of the asked size at 1× and 2×, the same bytes each time, with a strong ETag", async () => {
    const one = await get(`/usage/login/plot.png?${RANGE}&width=640&height=320`);
    expect(one.status).toBe(200);
    expect(one.headers.get("content-type")).toBe("image/png");
    const bytes = Buffer.from(await one.arrayBuffer());
    expect(bytes.subarray(1, 4).toString()).toBe("PNG");
    expect(size(bytes)).toEqual([640, 320]);
    const two = Buffer.from(
      await (await get(`/usage/login/plot.png?${RANGE}&width=640&height=320&scale=2`)).arrayBuffer(),
    );
    expect(size(two)).toEqual([1280, 640]);
    const again = await get(`/usage/login/plot.png?${RANGE}&width=640&height=320`);
    expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).toBe(true);
    expect(again.headers.get("etag")).toBe(one.headers.get("etag"));
    const cached = await get(`/usage/login/plot.png?${RANGE}&width=640&height=320`, {
      headers: { "if-none-match": one.headers.get("etag") ?? "" },
    });
    expect(cached.status).toBe(304);
  });
});

describe("chart themes", () => {
  it("draws light, dark, auto and transparent charts", async () => {
    const svg = async (query: string) => (await get(`/usage/login/plot.svg?${RANGE}&${query}`)).text();
    expect(await svg("theme=light")).toContain('fill="#ffffff"');
    expect(await svg("theme=dark")).toContain('fill="#0d1117"');
    expect(await svg("theme=auto")).toContain("@media (prefers-color-scheme: dark)");
    const transparent = new JSDOM(await svg("background=transparent"), { contentType: "image/svg+xml" }).window
      .document;
    expect(transparent.querySelector(".hu-background")?.getAttribute("fill")).toBe("none");
  });
});

describe("embed URLs", () => {
  const token = (args: object, expires: Date) => signEmbedToken(args, { secret: SECRET, expires });
  // Expiry is judged by the server's clock, which HOME_USAGE_NOW fixes.
  const later = new Date(new Date(NOW).getTime() + 86_400_000);

  it("serve the chart of a valid token without an API token", async () => {
    const res = await fetch(
      `${secured.base}/usage/login/embed/${token({ start: "2026-11-16", end: "2026-11-25" }, later)}.svg`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("image/svg+xml");
    expect(res.headers.get("cache-control")).toBe("private, max-age=300, stale-while-revalidate=3600");
  });

  it("refuse a tampered or expired token with 403", async () => {
    const valid = token({ start: "2026-11-16" }, later);
    const [body, signature] = valid.split(".");
    const forged = Buffer.from(JSON.stringify({ start: "2000-01-01", exp: later.getTime() / 1000 })).toString(
      "base64url",
    );
    for (const bad of [
      `${forged}.${signature}`,
      `${body}.${signature?.slice(1)}A`,
      token({}, new Date(new Date(NOW).getTime() - 1000)),
    ]) {
      const res = await get(`/usage/login/embed/${bad}.svg`, { headers: { accept: "application/json" } });
      expect(res.status).toBe(403);
      expect((await res.json()).error.type).toBe("forbidden");
      // A wiki's <img> gets the same status as a picture that says why.
      const image = await get(`/usage/login/embed/${bad}.svg`, { headers: { accept: "image/*,*/*;q=0.8" } });
      expect(image.status).toBe(403);
      expect(image.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
      expect(await image.text()).toContain("Chart unavailable");
    }
  });
});

describe("access", () => {
  it("needs a bearer token on every route but /healthz when tokens are configured", async () => {
    for (const path of [
      "/usage/login/raw",
      "/usage/login/plot.png",
      "/usage/login/plot",
      "/usage/login/plot.svg",
      "/usage/login/retention",
      "/usage/login/retention/plot.svg",
      "/openapi.json",
    ]) {
      const missing = await fetch(`${secured.base}${path}`, { headers: { accept: "application/json" } });
      expect(missing.status, path).toBe(401);
      expect(missing.headers.get("www-authenticate")).toContain("Bearer");
      expect(await missing.json()).toMatchObject({ code: 401, error: { type: "unauthorized" } });
      const wrong = await fetch(`${secured.base}${path}`, { headers: { authorization: "Bearer nope-nope-nope-nope" } });
      expect(wrong.status, path).toBe(401);
      const right = await fetch(`${secured.base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(right.status, path).toBe(200);
    }
    const page = await fetch(`${secured.base}/usage/login?aggregate=m`, { redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("../signin?next=%2Fusage%2Flogin%3Faggregate%3Dm");
    const health = await fetch(`${secured.base}/healthz`);
    expect(health.status).toBe(200);
    expect((await health.json()).data).toEqual({ status: "ok" });
  });

  it("describes every route in /openapi.json", async () => {
    const doc = await (await get("/openapi.json")).json();
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/healthz",
        "/openapi.json",
        "/usage/login",
        "/usage/login/embed/{token}.svg",
        "/usage/login/embed/{token}.png",
        "/usage/login/plot.png",
        "/signin",
        "/signout",
        "/usage/login/plot",
        "/usage/login/plot.svg",
        "/usage/login/raw",
        "/usage/login/groups",
        "/usage/login/users",
        "/usage/login/retention",
        "/usage/login/retention/plot",
        "/usage/login/retention/plot.svg",
        "/usage/login/retention/plot.png",
        "/usage/login/retention/embed/{token}.svg",
        "/usage/login/retention/embed/{token}.png",
      ].sort(),
    );
    expect(doc.paths["/usage/login/raw"].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      "start",
      "end",
      "aggregate",
      "content_type",
      "metric",
    ]);
  });
});

describe("behind a proxy", () => {
  const links = async (served: Served, headers: Record<string, string> = {}) => {
    const res = await fetch(`${served.base}/usage/login?${RANGE}`, { headers });
    const doc = new JSDOM(await res.text()).window.document;
    return {
      csp: res.headers.get("content-security-policy") ?? "",
      hrefs: [...doc.querySelectorAll("#data a")].map((a) => a.getAttribute("href") ?? ""),
      snippets: [...doc.querySelectorAll("#embed textarea")].map((t) => t.textContent ?? ""),
    };
  };
  const forwarded = { "x-forwarded-proto": "https", "x-forwarded-host": "usage.example.com" };

  it("builds every absolute link and snippet from HOME_USAGE_PUBLIC_URL", async () => {
    const env = { ...databaseEnv(t), HOME_USAGE_NOW: NOW, HOME_USAGE_PUBLIC_URL: "https://usage.example.com/tools/" };
    const served = await serve(await loadConfig({ env }));
    try {
      const { hrefs, snippets, csp } = await links(served);
      expect(hrefs).toHaveLength(4);
      for (const href of hrefs) expect(href).toMatch(/^https:\/\/usage\.example\.com\/tools\/usage\/login\//);
      for (const snippet of snippets) expect(snippet).toContain("https://usage.example.com/tools/usage/login/plot.");
      // An https:// public URL means the readers' connection is secure.
      expect(csp).toContain("upgrade-insecure-requests");
    } finally {
      await served.close();
    }
  });

  it("believes X-Forwarded-Proto/Host only with HOME_USAGE_TRUST_PROXY", async () => {
    const ignored = await links(open, forwarded);
    for (const href of ignored.hrefs) expect(href.startsWith(`${open.base}/`)).toBe(true);
    expect(ignored.csp).not.toContain("upgrade-insecure-requests");
    const env = { ...databaseEnv(t), HOME_USAGE_NOW: NOW, HOME_USAGE_TRUST_PROXY: "true" };
    const served = await serve(await loadConfig({ env }));
    try {
      const trusted = await links(served, forwarded);
      for (const href of trusted.hrefs) expect(href).toMatch(/^https:\/\/usage\.example\.com\/usage\/login\//);
      expect(trusted.csp).toContain("upgrade-insecure-requests");
    } finally {
      await served.close();
    }
  });

  it("marks the session cookie Secure when the browser came over HTTPS", async () => {
    const env = {
      ...databaseEnv(t),
      HOME_USAGE_NOW: NOW,
      HOME_USAGE_TRUST_PROXY: "1",
      HOME_USAGE_API_TOKENS: TOKEN,
    };
    const served = await serve(await loadConfig({ env }));
    try {
      const signIn = (headers: Record<string, string>) =>
        fetch(`${served.base}/signin`, {
          method: "POST",
          redirect: "manual",
          headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
          body: `token=${TOKEN}&next=%2Fusage%2Flogin`,
        });
      const secure = await signIn(forwarded);
      expect(secure.status).toBe(303);
      expect(secure.headers.get("set-cookie")).toMatch(
        /^home_usage_session=[\w.-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/,
      );
      const plain = await signIn({});
      expect(plain.headers.get("set-cookie")).not.toContain("Secure");
      const cookie = (plain.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      // The session opens the data too (the page's download links), and a forged one does not.
      expect((await fetch(`${served.base}/usage/login/raw`, { headers: { cookie } })).status).toBe(200);
      // After signing in, only a path on this server: never another site.
      for (const next of ["//evil.example", "/\\evil.example", "https://evil.example/", "/\t/evil.example"]) {
        const res = await fetch(`${served.base}/signin`, {
          method: "POST",
          redirect: "manual",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ token: TOKEN, next }).toString(),
        });
        expect(res.headers.get("location"), next).toBe("./usage/login");
      }
      const forged = `${cookie.slice(0, -3)}abc`;
      expect((await fetch(`${served.base}/usage/login/raw`, { headers: { cookie: forged } })).status).toBe(401);
    } finally {
      await served.close();
    }
  });
});

describe("freshness", () => {
  it("answers from the job's latest rollup: a run of the job invalidates cached reports and charts", async () => {
    const week48 = async () =>
      (await (await get(`/usage/login/raw?${RANGE}&aggregate=w`)).json()).data.find(
        (r: { period: string }) => r.period === "2026-W48",
      );
    const chartBefore = await (await get(`/usage/login/plot.svg?${RANGE}&aggregate=w`)).text();
    expect(await week48()).toMatchObject({ user: 1, logins: 1 });
    await t.db
      .collection("sys.log")
      .insertOne({ created: new Date("2026-11-24T10:00:00Z"), message: "successful login", user: "dan" });
    const config = await loadConfig({
      env: { ...databaseEnv(t), HOME_USAGE_NOW: NOW },
    });
    const dates = parseRunDates({ start: "2026-11-24" }, { zone: "UTC", now: new Date(NOW) });
    await runAggregation({ client: t.client, config, ...dates, host: "test", pid: process.pid });
    // The rollup's version is read at most once a second: the run shows within a second or two.
    const waitedFrom = Date.now();
    while ((await week48()).user !== 2 && Date.now() - waitedFrom < 5_000) await new Promise((r) => setTimeout(r, 100));
    expect(await week48()).toMatchObject({ user: 2, logins: 2 });
    expect(await (await get(`/usage/login/plot.svg?${RANGE}&aggregate=w`)).text()).not.toBe(chartBefore);
  });

  it("answers a cached report without a database round trip", async () => {
    const { MongoClient } = await import("mongodb");
    const watched = new MongoClient(t.uri, { monitorCommands: true });
    const commands: string[] = [];
    watched.on("commandStarted", (event) => commands.push(event.commandName));
    await watched.connect();
    const config = await loadConfig({ env: { ...databaseEnv(t), HOME_USAGE_NOW: NOW } });
    const server = createServer({ client: watched, config, logger: quiet }).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const first = await fetch(`${base}/usage/login/raw?${RANGE}&aggregate=w`);
      expect(first.status).toBe(200);
      const cold = commands.length;
      expect(cold).toBeGreaterThan(0);
      const second = await fetch(`${base}/usage/login/raw?${RANGE}&aggregate=w`);
      expect(await second.json()).toMatchObject({ code: 200 });
      // The rollup's settings and version are believed for a second: the report comes from the cache alone.
      expect(commands.slice(cold)).toEqual([]);
    } finally {
      await new Promise((r) => server.close(r));
      await watched.close();
    }
  });
});

describe("a database that does not answer", () => {
  it("gives 503 envelopes to scripts, a page to browsers, and an image on chart URLs, each with Retry-After", async () => {
    const { MongoClient } = await import("mongodb");
    const gone = new MongoClient("mongodb://127.0.0.1:9/", { serverSelectionTimeoutMS: 300 });
    const config = await loadConfig({ env: { ...databaseEnv(t), HOME_USAGE_NOW: NOW } });
    const server = createServer({ client: gone, config, logger: quiet }).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const path of ["/healthz", "/usage/login/raw"]) {
        const res = await fetch(`${base}${path}`);
        expect(res.status, path).toBe(503);
        const body = await res.json();
        expect(body).toMatchObject({ code: 503, error: { type: "unavailable" } });
        expect(JSON.stringify(body)).not.toMatch(/\n\s+at |127\.0\.0\.1|ECONNREFUSED/);
        if (path === "/healthz") expect(body.message).toBe("database unavailable");
      }
      if (!(await fetch(`${base}/usage/login/raw`)).headers.get("retry-after")) throw new Error("no Retry-After");
      // A browser gets a page that says what is wrong and when to try again.
      const browser = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };
      const page = await fetch(`${base}/usage/login`, { headers: browser });
      expect(page.status).toBe(503);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(page.headers.get("retry-after")).toBe("30");
      const text = new JSDOM(await page.text()).window.document.body.textContent?.replace(/\s+/g, " ");
      expect(text).toContain("The database did not answer");
      expect(text).toContain("Try again in 30 seconds");
      // Chart URLs answer with a picture of the error, same status and Retry-After, whoever asks.
      for (const path of ["/usage/login/plot.svg", "/usage/login/plot", "/usage/login/retention/plot.svg"]) {
        const res = await fetch(`${base}${path}?width=400&height=300`, { headers: browser });
        expect(res.status, path).toBe(503);
        expect(res.headers.get("content-type"), path).toMatch(/^image\/svg\+xml/);
        expect(res.headers.get("retry-after"), path).toBe("30");
        const svg = new JSDOM(await res.text(), { contentType: "image/svg+xml" }).window.document;
        expect(svg.querySelector("parsererror")).toBeNull();
        expect(svg.documentElement.getAttribute("width")).toBe("400");
        expect(svg.documentElement.textContent).toContain("Try again in 30 seconds.");
      }
      const png = await fetch(`${base}/usage/login/plot.png`);
      expect(png.status).toBe(503);
      expect(png.headers.get("content-type")).toBe("image/png");
      expect(png.headers.get("retry-after")).toBe("30");
      expect(
        Buffer.from(await png.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe("PNG");
      // A script asking for JSON keeps the envelope.
      const json = await fetch(`${base}/usage/login`, { headers: { accept: "application/json" } });
      expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    } finally {
      await new Promise((r) => server.close(r));
      await gone.close();
    }
  });
});

describe("home-usage-api, the process", () => {
  const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "index.js");
  const env = () => ({
    PATH: process.env.PATH ?? "",
    MONGODB_URI: t.uri,
    HOME_USAGE_TARGET: `${t.name}.login`,
    HOME_USAGE_NOW: NOW,
  });

  it("refuses to listen beyond loopback without tokens, unless --insecure", async () => {
    const child = spawn(process.execPath, [bin, "--host", "0.0.0.0", "--port", "0"], { env: env() });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      "home-usage-api: refusing to listen on 0.0.0.0 without HOME_USAGE_API_TOKENS; set tokens, or pass --insecure",
    );
  });

  it("on a port already taken, names another to try, as db:start does", async () => {
    const { createServer: listen } = await import("node:net");
    const taken = listen().listen(0, "127.0.0.1");
    await new Promise((resolve) => taken.once("listening", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, [bin, "--port", String(port)], { env: env() });
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      expect(await new Promise((resolve) => child.on("close", resolve))).toBe(1);
      expect(stderr).toContain(`port ${port} is in use by another program: pick a free one, such as PORT=${port + 1}`);
    } finally {
      taken.close();
    }
  });

  it("serves, and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [bin, "--port", "0", "--log-format", "json"], { env: env() });
    let stderr = "";
    const base = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (d) => {
        stderr += d;
        const url = /listening on (http:\/\/[\d.:]+)/.exec(stderr)?.[1];
        if (url) resolve(url);
      });
      child.on("close", () => reject(new Error(stderr)));
    });
    expect(stderr).toContain("listening on loopback only");
    const res = await fetch(`${base}/usage/login/raw?start=2026-11-16&end=2026-11-25&aggregate=m`);
    expect((await res.json()).data).toMatchObject([
      { timestamp: "2026-11-01T00:00:00.000Z", period: "2026-11", user: 4, logins: 6, partial: true },
    ]);
    // The built server draws in worker threads.
    const svg = await fetch(`${base}/usage/login/plot.svg?start=2026-11-16&end=2026-11-25&aggregate=d`);
    expect(svg.status).toBe(200);
    expect((await svg.text()).match(/<circle/g)).toHaveLength(9);
    const png = await fetch(`${base}/usage/login/plot.png?start=2026-11-16&end=2026-11-25&aggregate=d`);
    expect(png.headers.get("content-type")).toBe("image/png");
    const closed = new Promise((resolve) => child.on("close", resolve));
    child.kill("SIGTERM");
    expect(await closed).toBe(0);
    expect(stderr).toContain("SIGTERM: finishing requests in flight");
  });
});
