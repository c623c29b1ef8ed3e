// The API under attack: every bad input gets a 4xx (or a 503 that says when to come back) in the
// envelope, never a 500, a stack trace or a crash. One table, run against the real server and database.
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig, runAggregation, signEmbedToken } from "@home-usage/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import winston from "winston";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { answerClientErrors } from "./envelope.js";
import { createServer } from "./server.js";

const t = useTestDatabase("adversarial");
const NOW = "2026-11-25T12:00:00Z";
const SECRET = "embed-secret-for-tests-0123456789";
const LATER = new Date(new Date(NOW).getTime() + 86_400_000);
const quiet = winston.createLogger({ silent: true });
let base = "";
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  const config = await loadConfig({ env: { ...databaseEnv(t), HOME_USAGE_NOW: NOW, HOME_USAGE_EMBED_SECRET: SECRET } });
  await t.db.collection("sys.log").insertMany([
    { created: new Date("2026-11-16T08:00:00Z"), message: "successful login", user: "ann" },
    { created: new Date("2026-11-24T08:00:00Z"), message: "successful login", user: "bob" },
  ]);
  await runAggregation({ client: t.client, config, host: "test", pid: process.pid });
  const server = answerClientErrors(createServer({ client: t.client, config, logger: quiet }).listen(0, "127.0.0.1"));
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r()));
});

afterAll(() => close());

// A JSON client: chart URLs answer anyone else's errors with an image of the error (server.test.ts).
const get = (path: string, init?: RequestInit) =>
  fetch(`${base}${path}`, { ...init, headers: { accept: "application/json", ...init?.headers } });
const postJson = (path: string, body: unknown) =>
  get(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
// Bytes, not a string: fetch would label a string text/plain.
const post = (path: string, type: string | undefined, body: string) =>
  get(path, { method: "POST", headers: type ? { "content-type": type } : {}, body: new TextEncoder().encode(body) });
const embed = (args: Record<string, string>, ext = "svg", query = "") =>
  get(`/usage/login/embed/${signEmbedToken(args, { secret: SECRET, expires: LATER })}.${ext}${query}`);
/** A request with a raw target, bypassing fetch's URL normalisation; resolves with status and body. */
const raw = (target: string) =>
  new Promise<Response>((resolve, reject) => {
    const req = httpRequest(`${base}/`, { path: target }, (res) => {
      let text = "";
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () =>
        resolve(new Response(text, { status: res.statusCode ?? 0, headers: res.headers as Record<string, string> })),
      );
    });
    req.on("error", reject);
    req.end();
  });

const long = "x".repeat(201);
const valid = signEmbedToken({ start: "2026-11-16" }, { secret: SECRET, expires: LATER });
const [body, signature = ""] = valid.split(".");
/** The same signature bytes spelled another way: padded, or in the `+/` alphabet. */
const respelled = [
  `${body}.${signature}=`,
  `${body}.${encodeURIComponent(Buffer.from(signature, "base64url").toString("base64"))}`,
  // A last character whose unused low bits differ decodes to the same bytes.
  `${body}.${signature.slice(0, -1)}${String.fromCharCode(signature.charCodeAt(signature.length - 1) ^ 1)}`,
];
const WORDS = ["__proto__", "constructor", " Constructor ", "toString", "hasOwnProperty", "valueOf"];
const ROUTES = ["/usage/login/raw", "/usage/login/plot", "/usage/login/plot.svg", "/usage/login/plot.png"];

type Case = [string, () => Promise<Response>, number, RegExp];

const cases: Case[] = [
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
  ["a tiny width", () => get("/usage/login/plot?width=10"), 400, /^width: must be a whole number from 320 to 2000/],
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
    /^height: must be a whole number from 260 to 1200/,
  ],
  ["an unknown format", () => get("/usage/login/raw?content_type=xml"), 400, /^content_type: must be one of json, csv/],
  ["a format on the chart", () => get("/usage/login/plot?content_type=csv"), 400, /^unknown argument "content_type"/],
  ["an unknown argument", () => get("/usage/login/raw?foo=1"), 400, /^unknown argument "foo"/],
  ["a page argument typo", () => get("/usage/login?agregate=w"), 400, /^unknown argument "agregate"/],
  [
    "malformed JSON",
    () => get("/usage/login/raw", { method: "POST", headers: { "content-type": "application/json" }, body: "{ nope" }),
    400,
    /^the request body is not valid JSON/,
  ],
  ["a JSON array body", () => postJson("/usage/login/raw", ["start"]), 400, /^the request body must be a JSON object/],
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
    () => get(`/usage/login/embed/${signEmbedToken({}, { secret: SECRET, expires: LATER })}.svg?start=2000-01-01`),
    400,
    /^unknown argument "start"/,
  ],

  // #12.1: a user's word must never find Object's own keys.
  ...WORDS.flatMap((word): Case[] =>
    ROUTES.map(
      (route): Case => [
        `aggregate=${word} on ${route}`,
        () => get(`${route}?aggregate=${encodeURIComponent(word)}`),
        400,
        /^aggregate: unknown ".*" \(use d, w, m, q, y/,
      ],
    ),
  ),
  ...WORDS.map(
    (word): Case => [
      `aggregate=${word} in a signed embed`,
      () => embed({ aggregate: word }),
      400,
      /^aggregate: unknown/,
    ],
  ),
  ...WORDS.map(
    (word): Case => [
      `metric=${word}`,
      () => get(`/usage/login/plot.svg?metric=${encodeURIComponent(word)}`),
      400,
      /^metric: unknown ".*" \(use users, logins, active7, active28, new, returning, resurrected, dormant, stickiness/,
    ],
  ),
  ...WORDS.map(
    (word): Case => [
      `theme=${word}`,
      () => get(`/usage/login/plot.svg?theme=${encodeURIComponent(word)}`),
      400,
      /^theme: unknown ".*" \(use light, dark, auto\)/,
    ],
  ),
  ...WORDS.map(
    (word): Case => [
      `content_type=${word}`,
      () => get(`/usage/login/raw?content_type=${encodeURIComponent(word)}`),
      400,
      /^content_type: must be one of/,
    ],
  ),
  ...WORDS.map(
    (word): Case => [
      `a JSON body with the key ${word}`,
      () => post("/usage/login/raw", "application/json", `{"${word.trim()}": "x"}`),
      400,
      /^unknown argument/,
    ],
  ),
  ["an unknown metric", () => get("/usage/login/plot.png?metric=mau"), 400, /^metric: unknown "mau"/],
  ["a background colour", () => get("/usage/login/plot.svg?background=pink"), 400, /^background: unknown "pink"/],
  ["scale 3", () => get("/usage/login/plot.png?scale=3"), 400, /^scale: unknown "3" \(use 1, 2\)/],
  ["a scale on the SVG", () => get("/usage/login/plot.svg?scale=2"), 400, /^unknown argument "scale"/],
  ["a scale beside an SVG embed", () => embed({}, "svg", "?scale=2"), 400, /^scale: only PNG charts/],
  ["a start beside a PNG embed", () => embed({}, "png", "?start=2000-01-01"), 400, /^unknown argument "start"/],
  // #12.4: bodies that are neither JSON nor a form, refused before they are read.
  ...["text/plain", "application/xml", "application/octet-stream", "multipart/form-data; boundary=x"].map(
    (type): Case => [
      `a ${type} body`,
      () => post("/usage/login/raw", type, "aggregate=m"),
      415,
      new RegExp(
        `^the request body must be application/json or application/x-www-form-urlencoded, not ${type.split(";")[0]}`,
      ),
    ],
  ),
  ["a body without a type", () => post("/usage/login/raw", undefined, "aggregate=m"), 415, /it has no Content-Type/],
  ["a 1 MB text body", () => post("/usage/login/raw", "text/plain", "x".repeat(1_000_000)), 415, /not text\/plain/],
  [
    "a JSON string",
    () => post("/usage/login/raw", "application/json", '"x"'),
    400,
    /^the request body must be a JSON object or a form, not a string$/,
  ],
  ["a JSON number", () => post("/usage/login/raw", "application/json", "42"), 400, /not a number$/],
  ["JSON null", () => post("/usage/login/raw", "application/json", "null"), 400, /not null$/],
  ["JSON true", () => post("/usage/login/raw", "application/json", "true"), 400, /not a boolean$/],
  ["an unknown charset", () => post("/usage/login/raw", "application/json; charset=klingon", "{}"), 415, /charset/],
  [
    "a gzip body",
    () =>
      get("/usage/login/raw", {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "br-x" },
        body: "{}",
      }),
    415,
    /encoding/,
  ],
  // Over-long URLs: ours under Node's header limit, Node's beyond it, both in the envelope.
  [
    "a 10 kB URL",
    () => get(`/usage/login/raw?title=${"x".repeat(10_000)}`),
    414,
    /^the URL is longer than 8192 characters/,
  ],
  ["a 20 kB URL", () => raw(`/usage/login/raw?title=${"x".repeat(20_000)}`), 431, /larger than the server accepts/],
  // #12.12: only the one spelling the server signs verifies.
  ...respelled.map(
    (token, i): Case => [
      `a respelled signature (${["padded", "base64 alphabet", "low bits"][i]})`,
      () => get(`/usage/login/embed/${token}.svg`),
      403,
      /^(the embed token's signature does not match|malformed embed token)$/,
    ],
  ),
  ["a token with a dot too many", () => get(`/usage/login/embed/${valid}.x.svg`), 403, /^malformed embed token/],
  ["a token of garbage characters", () => get("/usage/login/embed/a%20b.c%2Fd.svg"), 403, /^malformed embed token/],
  [
    "an expired PNG embed",
    () => get(`/usage/login/embed/${signEmbedToken({}, { secret: SECRET, expires: new Date(NOW) })}.png`),
    403,
    /expired/,
  ],
  [
    "a title over 200 characters in an embed",
    () => embed({ title: "x".repeat(150) }, "svg", `?theme=${"d".repeat(60)}`),
    400,
    /^theme: must be at most 40 characters/,
  ],
  ["GET /signout", () => get("/signout"), 400, /^GET is not allowed on \/signout/],
];

describe("bad input, one table", () => {
  it.each(cases)("%s gives a %s envelope saying what was wrong", async (_name, request, status, message) => {
    const res = await request();
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    if (status !== 431) expect(res.headers.get("cache-control")).toBe("max-age=10");
    const envelope = await res.json();
    expect(envelope).toMatchObject({ code: status, _id: expect.any(String), timestamp: expect.any(String) });
    expect(envelope.message).toMatch(message);
    expect(envelope.data).toBeUndefined();
    expect(JSON.stringify(envelope)).not.toMatch(/\n\s+at |node_modules/);
  });

  it("the page shows words that are Object's own keys as a form error, not a 500", async () => {
    for (const word of WORDS) {
      const res = await get(`/usage/login?aggregate=${encodeURIComponent(word)}`);
      expect(res.status, word).toBe(400);
      expect(await res.text()).toContain('id="aggregate-error"');
    }
  });

  it("has at least 100 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });
});
