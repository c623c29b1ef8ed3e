// The API under load, against the real server and database: a full queue answers 503 with Retry-After,
// /healthz stays prompt, identical requests share one computation, and a client that hangs up leaves
// the queue.
import type { AddressInfo } from "node:net";
import { loadConfig, runAggregation } from "@home-usage/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import winston from "winston";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { createLimiter } from "./limiter.js";
import { createReportService, type ReportService } from "./report-service.js";
import { createServer } from "./server.js";

const t = useTestDatabase("bounded");
const NOW = "2026-11-25T12:00:00Z";
let base = "";
let service: ReportService;
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  const config = await loadConfig({ env: { ...databaseEnv(t), HOME_USAGE_NOW: NOW } });
  await t.db.collection("sys.log").insertMany(
    ["ann", "bob", "cid"].map((user, i) => ({
      created: new Date(Date.UTC(2026, 10, 10 + i, 8)),
      message: "successful login",
      user,
    })),
  );
  await runAggregation({ client: t.client, config, host: "test", pid: process.pid });
  const clock = () => new Date(NOW);
  service = createReportService({
    client: t.client,
    config,
    clock,
    limiter: createLimiter({ concurrency: 1, queue: 1 }),
  });
  const server = createServer({
    client: t.client,
    config,
    clock,
    service,
    logger: winston.createLogger({ silent: true }),
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r()));
});

afterAll(() => close());

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe("a server with one computation slot and one queue place", () => {
  it("answers identical concurrent cold requests all, computing them once", async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => fetch(`${base}/usage/login/raw?start=2026-11-01&aggregate=d`)),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(6).fill(200));
    const bodies = await Promise.all(answers.map(async (r) => (await r.json()).data));
    for (const body of bodies) expect(body).toEqual(bodies[0]);
  });

  it("queues one, refuses the next with 503 and Retry-After, and keeps /healthz prompt", async () => {
    let release = () => {};
    const held = service.limiter.run(undefined, () => new Promise<void>((r) => (release = r)));
    const queued = fetch(`${base}/usage/login/raw?start=2026-11-02&aggregate=w`);
    await until(() => service.limiter.waiting === 1);
    const refused = await fetch(`${base}/usage/login/plot.svg?start=2026-11-03&aggregate=m`, {
      headers: { accept: "application/json" },
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect((await refused.json()).message).toMatch(/^the server is busy/);
    const began = Date.now();
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(Date.now() - began).toBeLessThan(1000);
    release();
    await held;
    expect((await queued).status).toBe(200);
  });

  it("takes a request out of the queue when its client hangs up", async () => {
    let release = () => {};
    const held = service.limiter.run(undefined, () => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    const gone = fetch(`${base}/usage/login/raw?start=2026-11-04&aggregate=q`, { signal: controller.signal });
    await until(() => service.limiter.waiting === 1);
    controller.abort();
    await expect(gone).rejects.toThrow();
    await until(() => service.limiter.waiting === 0);
    release();
    await held;
    const after = await fetch(`${base}/usage/login/raw?start=2026-11-04&aggregate=q`);
    expect(after.status).toBe(200);
  });
});
