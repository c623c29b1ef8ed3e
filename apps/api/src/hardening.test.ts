// What an adversarial trial found, each at its cause: exports that cannot attack, negotiated answers that
// caches keep apart, one address for the page, a damaged zone named, and time budgets kept.

import type { AddressInfo } from "node:net";
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from "node:net";
import { type HomeUsageConfig, loadConfig, runAggregation } from "@home-usage/core";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import winston from "winston";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { createServer } from "./server.js";

const t = useTestDatabase("api_hardening");
const NOW = "2026-11-25T12:00:00Z";
const quiet = winston.createLogger({ silent: true });
/** Names a spreadsheet would run as formulas, and names that would rewrite a terminal or a table. */
const FORMULAS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tTAB", "\rCR"];
const CONTROL = ["clear\u001b[2Jscreen", "two\nlines", "pipe|name"];

async function serve(config: HomeUsageConfig, client = t.client) {
  const server = createServer({ client, config, logger: quiet }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let config: HomeUsageConfig;
let api: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  config = await loadConfig({ env: { ...databaseEnv(t), HOME_USAGE_NOW: NOW } });
  const login = (user: string) => ({ created: new Date("2026-11-24T08:00:00Z"), message: "successful login", user });
  await t.db.collection("sys.log").insertMany([...FORMULAS, ...CONTROL, "ann"].map(login));
  // An account whose name is a formula, known only to core4.
  await t.db.collection("role").insertOne({ name: '=HYPERLINK("http://x")', email: "h@example.com", is_active: true });
  await runAggregation({ client: t.client, config, host: "test", pid: process.pid });
  api = await serve(config);
});

afterAll(async () => {
  await api?.close();
});

describe("exports", () => {
  it("neutralise every CSV cell a spreadsheet would run, with a leading '", async () => {
    const res = await fetch(`${api.base}/usage/login/users?start=2026-11-24&end=2026-11-25&content_type=csv`);
    expect(res.status).toBe(200);
    const firstCells = (await res.text())
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.split(",")[0]?.replace(/^"|"$/g, ""));
    for (const cell of firstCells) expect(cell, cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(firstCells).toEqual(
      expect.arrayContaining(["'=1+1", "'-2+3", "'@SUM(A1:A9)", '\'=HYPERLINK(""http://x"")']),
    );
  });

  it("write control characters as escapes in text and markdown, so a name cannot clear a screen or break a row", async () => {
    for (const format of ["text", "markdown"]) {
      const body = await (
        await fetch(`${api.base}/usage/login/users?start=2026-11-24&end=2026-11-25&content_type=${format}`)
      ).text();
      // biome-ignore lint/suspicious/noControlCharactersInRegex: what must not be there.
      expect(body, format).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(body, format).toContain("clear\\x1b[2Jscreen");
      expect(body, format).toContain("two\\nlines");
    }
    const markdown = await (
      await fetch(`${api.base}/usage/login/users?start=2026-11-24&end=2026-11-25&content_type=markdown`)
    ).text();
    const rows = markdown.trim().split("\n");
    // Every row of the table has as many cells as the header: the pipe in a name is escaped.
    const cells = (row: string) => row.replace(/\\\|/g, "").split("|").length;
    for (const row of rows) expect(cells(row), row).toBe(cells(rows[0] as string));
    expect(markdown).toContain("pipe\\|name");
  });
});

describe("negotiated answers and addresses", () => {
  it("say Vary: Accept wherever the answer follows the Accept header", async () => {
    for (const path of ["/usage/login/raw", "/usage/login/users", "/usage/login"]) {
      const res = await fetch(`${api.base}${path}`, { headers: { accept: "text/csv" } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("vary") ?? "", path).toMatch(/\bAccept\b/);
    }
  });

  it("send the page's address with a trailing slash to the page, keeping the query", async () => {
    const res = await fetch(`${api.base}/usage/login/?aggregate=w`, { redirect: "manual" });
    expect(res.status).toBe(308);
    expect(new URL(res.headers.get("location") as string, `${api.base}/usage/login/`).href).toBe(
      `${api.base}/usage/login?aggregate=w`,
    );
  });
});

describe("a damaged rollup", () => {
  it("with a time zone no IANA zone is a 409 naming the setting and the fix, on the data, the chart and the page", async () => {
    const env = { ...databaseEnv(t, "zone"), HOME_USAGE_NOW: NOW };
    const zoned = await loadConfig({ env });
    await t.db
      .collection("log_zone")
      .insertOne({ created: new Date("2026-11-24T08:00:00Z"), message: "successful login", user: "ann" });
    await runAggregation({ client: t.client, config: zoned, host: "test", pid: process.pid });
    await t.db
      .collection("login_zone_period")
      .updateOne({ _id: "settings" as never }, { $set: { timezone: "Mars/Olympus" } });
    const served = await serve(zoned);
    try {
      for (const path of ["/usage/login/raw", "/usage/login/plot.svg", "/usage/login/users", "/usage/login"]) {
        const res = await fetch(`${served.base}${path}`);
        expect(res.status, path).toBe(409);
        const text = await res.text();
        expect(text, path).toMatch(/timezone is not an IANA time zone; rebuild it with home-usage aggregate --reset/);
        expect(text, path).not.toContain("Invalid DateTime");
      }
    } finally {
      await served.close();
    }
  });

  it("whose last processed day lies in the far future still answers the people list promptly", async () => {
    const env = { ...databaseEnv(t, "far"), HOME_USAGE_NOW: NOW };
    const far = await loadConfig({ env });
    await t.db
      .collection("log_far")
      .insertOne({ created: new Date("2026-11-24T08:00:00Z"), message: "successful login", user: "ann" });
    await runAggregation({ client: t.client, config: far, host: "test", pid: process.pid });
    await t.db.collection("login_far_period").updateOne({ _id: "settings" as never }, { $set: { last: "9999-12-31" } });
    const served = await serve(far);
    try {
      const res = await fetch(`${served.base}/usage/login/users`);
      expect(res.status).toBe(200);
      expect((await res.json()).data.map((r: { user: string }) => r.user)).toEqual(["ann"]);
    } finally {
      await served.close();
    }
  });
});

describe("a database that stopped answering", () => {
  /** A server that accepts connections and never says a word, like a paused MongoDB. */
  let silent: TcpServer;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    silent = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }).listen(0, "127.0.0.1");
    await new Promise((resolve) => silent.once("listening", resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => silent.close(r));
  });

  it("gets its 503 within the budgets /healthz and the data routes announce", async () => {
    const port = (silent.address() as AddressInfo).port;
    const client = new MongoClient(`mongodb://127.0.0.1:${port}/`, { serverSelectionTimeoutMS: 60_000 });
    const budgeted = { ...config, queryTimeoutMs: 1_000 };
    const served = await serve(budgeted, client);
    try {
      for (const [path, budgetMs] of [
        ["/healthz", 2_000],
        ["/usage/login/raw", 1_000],
        ["/usage/login/users", 1_000],
      ] as const) {
        const began = Date.now();
        const res = await fetch(`${served.base}${path}`);
        const took = Date.now() - began;
        expect(res.status, path).toBe(503);
        // Without the bounds these waited for the driver's 60 s server selection.
        expect(took, path).toBeLessThan(budgetMs + 2_000);
      }
    } finally {
      await served.close();
      await client.close(true);
    }
  });
});
