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
      "timestamp,period,user,logins,partial,previous,new,returning,resurrected,dormant,dailyAverage,stickiness,days,unprocessedDays\n2026-11-16T00:00:00.000Z,2026-W47,2,4,false,0,2,0,0,0,0.4286,0.2143,7,0\n",
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

describe("the chart", () => {
  it("is a standalone SVG with a strong ETag, and answers If-None-Match with 304", async () => {
    const res = await get(`/usage/login/plot.svg?${RANGE}&aggregate=d`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
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
  it("renders the chart, the table, downloads and an embed snippet with a signed URL", async () => {
    const res = await get(`/usage/login?${RANGE}&aggregate=w`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const doc = new JSDOM(await res.text()).window.document;
    expect(doc.querySelectorAll("#chart svg circle")).toHaveLength(2);
    expect(
      [...doc.querySelectorAll("#data tbody tr")].map((tr) => [...tr.children].map((td) => td.textContent).join(" ")),
    ).toEqual([
      "2026-11-16T00:00:00.000Z 2026-W47 2 4 false 0 2 0 0 0 0.4286 0.2143 7 0",
      "2026-11-23T00:00:00.000Z 2026-W48 1 1 true 2 1 0 0 2 0.5000 0.5000 2 0",
    ]);
    const links = [...doc.querySelectorAll("#data a")].map((a) => a.getAttribute("href"));
    expect(links).toEqual([
      `${open.base}/usage/login/raw?start=2026-11-16&end=2026-11-25&aggregate=w&content_type=csv`,
      `${open.base}/usage/login/raw?start=2026-11-16&end=2026-11-25&aggregate=w&content_type=json`,
      `${open.base}/usage/login/plot.svg?start=2026-11-16&end=2026-11-25&aggregate=w`,
    ]);
    const markdown = doc.querySelector("#embed textarea")?.textContent ?? "";
    const url = /\((http[^)]+)\)/.exec(markdown)?.[1] ?? "";
    expect(url).toMatch(/\/usage\/login\/embed\/[\w-]+\.[\w-]+\.svg$/);
    const embedded = await fetch(url);
    expect(embedded.status).toBe(200);
    expect((await embedded.text()).match(/<circle/g)).toHaveLength(2);
  });

  it("says which periods have no processed days", async () => {
    const page = await (await get("/usage/login?start=2026-11-01&end=2026-11-25&aggregate=w")).text();
    expect(page).toContain("No processed days, so no row, for: 2026-W44, 2026-W45, 2026-W46");
  });
});

describe("embed URLs", () => {
  const token = (args: object, expires: Date) => signEmbedToken(args, { secret: SECRET, expires });
  const later = new Date(Date.now() + 86_400_000);

  it("serve the chart of a valid token without an API token", async () => {
    const res = await fetch(
      `${secured.base}/usage/login/embed/${token({ start: "2026-11-16", end: "2026-11-25" }, later)}.svg`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("image/svg+xml");
    expect(res.headers.get("cache-control")).toBe("private, max-age=300");
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
      token({}, new Date(Date.now() - 1000)),
    ]) {
      const res = await get(`/usage/login/embed/${bad}.svg`);
      expect(res.status).toBe(403);
      expect((await res.json()).error.type).toBe("forbidden");
    }
  });
});

describe("access", () => {
  it("needs a bearer token on every route but /healthz when tokens are configured", async () => {
    for (const path of [
      "/usage/login",
      "/usage/login/raw",
      "/usage/login/plot",
      "/usage/login/plot.svg",
      "/openapi.json",
    ]) {
      const missing = await fetch(`${secured.base}${path}`);
      expect(missing.status, path).toBe(401);
      expect(missing.headers.get("www-authenticate")).toContain("Bearer");
      expect(await missing.json()).toMatchObject({ code: 401, error: { type: "unauthorized" } });
      const wrong = await fetch(`${secured.base}${path}`, { headers: { authorization: "Bearer nope-nope-nope-nope" } });
      expect(wrong.status, path).toBe(401);
      const right = await fetch(`${secured.base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(right.status, path).toBe(200);
    }
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
        "/usage/login/plot",
        "/usage/login/plot.svg",
        "/usage/login/raw",
      ].sort(),
    );
    expect(doc.paths["/usage/login/raw"].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      "start",
      "end",
      "aggregate",
      "content_type",
    ]);
  });
});

describe("bad input", () => {
  const long = "x".repeat(201);
  const cases: [string, () => Promise<Response>, number, RegExp][] = [
    ["an unreadable start", () => get("/usage/login/raw?start=soon"), 400, /^start: cannot read "soon"/],
    ["an unreadable end", () => get("/usage/login/raw?end=2026-13-01"), 400, /^end: cannot read/],
    ["an impossible day", () => get("/usage/login/raw?start=2026-02-30"), 400, /^start: cannot read/],
    ["a blank start", () => get("/usage/login/raw?start=%20%20"), 400, /^start: cannot read/],
    ["an unknown aggregate", () => get("/usage/login/raw?aggregate=fortnight"), 400, /^aggregate: unknown "fortnight"/],
    [
      "an end before the start",
      () => get("/usage/login/raw?start=2026-11-10&end=2026-11-01"),
      400,
      /^end: .* is not after start/,
    ],
    [
      "an end equal to the start",
      () => get("/usage/login/raw?start=2026-11-10&end=2026-11-10"),
      400,
      /is not after start/,
    ],
    ["a range over 20 years", () => get("/usage/login/raw?start=1990-01-01&end=2026-01-01"), 400, /at most 20 years/],
    ["an operator in the query", () => get("/usage/login/raw?start[$gt]="), 400, /^unknown argument "start\[\$gt\]"/],
    [
      "an operator in JSON",
      () => postJson("/usage/login/raw", { start: { $gt: "" } }),
      400,
      /^start: must be a string, got an object/,
    ],
    [
      "a list in JSON",
      () => postJson("/usage/login/raw", { end: ["2026-01-01"] }),
      400,
      /^end: must be a string, got a list/,
    ],
    [
      "a number aggregate",
      () => postJson("/usage/login/raw", { aggregate: 7 }),
      400,
      /^aggregate: must be a string, got number/,
    ],
    [
      "a boolean start",
      () => postJson("/usage/login/raw", { start: true }),
      400,
      /^start: must be a string, got boolean/,
    ],
    [
      "a repeated argument",
      () => get("/usage/login/raw?start=2026-01-01&start=2026-02-01"),
      400,
      /^start: must be a string, got a list/,
    ],
    ["an object title", () => postJson("/usage/login/plot", { title: {} }), 400, /^title: must be a string/],
    ["a long title", () => get(`/usage/login/plot?title=${long}`), 400, /^title: must be at most 200 characters/],
    ["a tiny width", () => get("/usage/login/plot?width=10"), 400, /^width: must be a whole number from 200 to 2000/],
    ["a word width", () => get("/usage/login/plot?width=wide"), 400, /^width: must be a whole number/],
    ["a fractional width", () => get("/usage/login/plot?width=300.5"), 400, /^width: must be a whole number/],
    [
      "a negative JSON height",
      () => postJson("/usage/login/plot", { height: -5 }),
      400,
      /^height: must be a whole number/,
    ],
    [
      "a huge height",
      () => get("/usage/login/plot.svg?height=99999"),
      400,
      /^height: must be a whole number from 150 to 1200/,
    ],
    [
      "an unknown format",
      () => get("/usage/login/raw?content_type=xml"),
      400,
      /^content_type: must be one of json, csv/,
    ],
    ["a format on the chart", () => get("/usage/login/plot?content_type=csv"), 400, /^unknown argument "content_type"/],
    ["an unknown argument", () => get("/usage/login/raw?foo=1"), 400, /^unknown argument "foo"/],
    ["a page argument typo", () => get("/usage/login?agregate=w"), 400, /^unknown argument "agregate"/],
    [
      "malformed JSON",
      () =>
        get("/usage/login/raw", { method: "POST", headers: { "content-type": "application/json" }, body: "{ nope" }),
      400,
      /^the request body is not valid JSON/,
    ],
    [
      "a JSON array body",
      () => postJson("/usage/login/raw", ["start"]),
      400,
      /^the request body must be a JSON object/,
    ],
    ["a JSON string body", () => postJson("/usage/login/raw", "start"), 400, /not valid JSON|must be a JSON object/],
    [
      "a body over the limit",
      () => postJson("/usage/login/raw", { title: "x".repeat(20_000) }),
      413,
      /larger than 16384 bytes/,
    ],
    ["PUT", () => get("/usage/login/raw", { method: "PUT" }), 405, /^PUT is not allowed on \/usage\/login\/raw/],
    ["DELETE", () => get("/usage/login/plot.svg", { method: "DELETE" }), 405, /^DELETE is not allowed/],
    ["an unknown route", () => get("/usage/logins"), 404, /^no such route: GET \/usage\/logins/],
    ["a malformed embed token", () => get("/usage/login/embed/abc.svg"), 403, /^malformed embed token/],
    [
      "arguments beside an embed token",
      () =>
        get(
          `/usage/login/embed/${signEmbedToken({}, { secret: SECRET, expires: new Date(Date.now() + 60_000) })}.svg?start=2000-01-01`,
        ),
      400,
      /^unknown argument "start"/,
    ],
  ];

  it.each(cases)("%s gives a %s envelope saying what was wrong", async (_name, request, status, message) => {
    const res = await request();
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body).toMatchObject({ code: status, _id: expect.any(String), timestamp: expect.any(String) });
    expect(body.message).toMatch(message);
    expect(body.data).toBeUndefined();
    expect(JSON.stringify(body)).not.toMatch(/\n\s+at |node_modules/);
  });

  it("has at least 30 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
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
    expect(await week48()).toMatchObject({ user: 2, logins: 2 });
    expect(await (await get(`/usage/login/plot.svg?${RANGE}&aggregate=w`)).text()).not.toBe(chartBefore);
  });
});

describe("a database that does not answer", () => {
  it("gives 503 envelopes, on /healthz and on the data", async () => {
    const { MongoClient } = await import("mongodb");
    const gone = new MongoClient("mongodb://127.0.0.1:9/", { serverSelectionTimeoutMS: 300 });
    const config = await loadConfig({ env: { ...databaseEnv(t), HOME_USAGE_NOW: NOW } });
    const server = createServer({ client: gone, config, logger: quiet }).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const path of ["/healthz", "/usage/login/raw", "/usage/login/plot.svg"]) {
        const res = await fetch(`${base}${path}`);
        expect(res.status, path).toBe(503);
        const body = await res.json();
        expect(body).toMatchObject({ code: 503, error: { type: "unavailable" } });
        expect(JSON.stringify(body)).not.toMatch(/\n\s+at /);
      }
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
    const closed = new Promise((resolve) => child.on("close", resolve));
    child.kill("SIGTERM");
    expect(await closed).toBe(0);
    expect(stderr).toContain("SIGTERM: finishing requests in flight");
  });
});
