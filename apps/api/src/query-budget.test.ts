// A query over its time budget (HOME_USAGE_QUERY_TIMEOUT_MS) is stopped, every batch of it, and
// answered with a 503 that says what to do, long before it would have finished.
import type { AddressInfo } from "node:net";
import { loadConfig, runAggregation } from "@home-usage/core";
import { writeDemoData } from "@home-usage/demo";
import { afterAll, beforeAll, expect, it } from "vitest";
import winston from "winston";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { createServer } from "./server.js";

const t = useTestDatabase("budget");
const quiet = winston.createLogger({ silent: true });
const servers: { close: (done: () => void) => void }[] = [];

// Reports read a few documents by _id, which is quick; the list of people reads core4's accounts, here
// 30,000 of them, which the bundled database decodes one by one (a second or more).
beforeAll(async () => {
  const config = await loadConfig({ env: { ...databaseEnv(t), HOME_USAGE_NOW: "2026-11-05T12:00:00Z" } });
  await writeDemoData(t.db.collection("sys.log"), { days: 120, users: 60, seed: 3, end: new Date("2026-11-04") });
  await runAggregation({ client: t.client, config, host: "test", pid: process.pid });
  const roles = t.db.collection("role");
  for (let i = 0; i < 6; i++) {
    await roles.insertMany(
      Array.from({ length: 5000 }, (_, j) => ({
        name: `person${i * 5000 + j}`,
        email: `p${i}.${j}@example.com`,
        is_active: true,
      })),
    );
  }
}, 180_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function serve(queryTimeoutMs: number): Promise<string> {
  const config = await loadConfig({
    env: {
      ...databaseEnv(t),
      HOME_USAGE_NOW: "2026-11-05T12:00:00Z",
      HOME_USAGE_QUERY_TIMEOUT_MS: String(queryTimeoutMs),
    },
  });
  const server = createServer({ client: t.client, config, logger: quiet }).listen(0, "127.0.0.1");
  servers.push(server);
  await new Promise((resolve) => server.once("listening", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

it("answers 503 with Retry-After when a query runs out of its time budget, and 200 within it", async () => {
  const path = "/usage/login/users?start=2026-07-01";
  const generous = await fetch(`${await serve(60_000)}${path}`);
  expect(generous.status).toBe(200);

  const tight = await serve(100);
  const began = Date.now();
  const res = await fetch(`${tight}${path}`);
  const took = Date.now() - began;
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("60");
  expect((await res.json()).message).toBe(
    "the report took longer than the server allows; ask for a shorter range or a longer aggregate",
  );
  expect(took).toBeLessThan(5_000);
}, 60_000);
