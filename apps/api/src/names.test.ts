// HOME_USAGE_NAMES over HTTP: the people list, every data format, the charts and the page, in each mode,
// really listening on port 0. The people and their pseudonyms are tools/test/people.ts's.
import type { AddressInfo } from "node:net";
import { type HomeUsageConfig, loadConfig, runAggregation } from "@home-usage/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import winston from "winston";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { ACCOUNTS, PEOPLE, PEOPLE_LOGINS, PERSONAL, pseudonymWith } from "../../../tools/test/people.js";
import { createServer } from "./server.js";

const t = useTestDatabase("api_names");
const NOW = "2026-11-25T12:00:00Z";
const SECRET = "pseudonym-secret-for-tests-0123";
const expectedPseudonym = pseudonymWith(SECRET);

const RANGE = "start=2026-11-16&end=2026-11-25";
const FORMATS = ["json", "csv", "html", "text", "markdown"] as const;
/** Every route that answers data, a chart or the page (names may only ever appear in /users). */
const OTHER_ROUTES = [
  ...FORMATS.map((f) => `/usage/login/raw?${RANGE}&aggregate=d&content_type=${f}`),
  ...FORMATS.map((f) => `/usage/login/groups?${RANGE}&aggregate=w&content_type=${f}`),
  ...FORMATS.map((f) => `/usage/login/retention?cohort=w&start=2026-11-16&content_type=${f}`),
  `/usage/login/plot.svg?${RANGE}&aggregate=d`,
  `/usage/login/plot.svg?${RANGE}&aggregate=w&metric=groups`,
  `/usage/login/retention/plot.svg?cohort=w`,
  `/usage/login?${RANGE}&aggregate=d`,
  "/openapi.json",
];

async function serve(config: HomeUsageConfig) {
  const server = createServer({ client: t.client, config, logger: winston.createLogger({ silent: true }) }).listen(
    0,
    "127.0.0.1",
  );
  await new Promise((resolve) => server.once("listening", resolve));
  return {
    get: (path: string) => fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const env = () => ({
  ...databaseEnv(t),
  HOME_USAGE_NOW: NOW,
  HOME_USAGE_ROLES: `${t.name}.sys.role`,
  HOME_USAGE_MIN_GROUP_SIZE: "1",
});
const servers: { close(): Promise<void> }[] = [];
async function serverWith(extra: Record<string, string>) {
  const s = await serve(await loadConfig({ env: { ...env(), ...extra } }));
  servers.push(s);
  return s;
}

beforeAll(async () => {
  await t.db.collection("sys.log").insertMany(PEOPLE_LOGINS.map((l) => ({ ...l })));
  await t.db.collection("sys.role").insertMany(ACCOUNTS.map((a) => ({ ...a })));
  await runAggregation({ client: t.client, config: await loadConfig({ env: env() }), host: "test", pid: process.pid });
});

afterAll(async () => {
  for (const s of servers) await s.close();
});

describe("HOME_USAGE_NAMES=show (the default)", () => {
  it("lists the names, and nothing else personal", async () => {
    const s = await serverWith({});
    const body = await (await s.get(`/usage/login/users?${RANGE}`)).json();
    expect(body.data.map((r: { user: string }) => r.user)).toEqual(PEOPLE);
    const text = JSON.stringify(body);
    for (const a of ACCOUNTS) expect(text).not.toContain(a.email);
  });
});

describe("HOME_USAGE_NAMES=pseudonymous", () => {
  it("lists keyed pseudonyms in every format, never a name, an e-mail address or a real name", async () => {
    const s = await serverWith({ HOME_USAGE_NAMES: "pseudonymous", HOME_USAGE_PSEUDONYM_SECRET: SECRET });
    const json = await (await s.get(`/usage/login/users?${RANGE}`)).json();
    const pseudonyms = PEOPLE.map(expectedPseudonym);
    expect(json.data.map((r: { user: string }) => r.user)).toEqual([...pseudonyms].sort());
    // The figures are the person's own: carla logged in three times, on three days.
    const carla = json.data.find((r: { user: string }) => r.user === expectedPseudonym("carla.meier"));
    expect(carla).toMatchObject({ logins: 3, days: 3, account: "active" });
    for (const format of FORMATS) {
      const res = await s.get(`/usage/login/users?${RANGE}&content_type=${format}`);
      expect(res.status, format).toBe(200);
      const body = await res.text();
      for (const p of pseudonyms) expect(body, format).toContain(p);
      for (const word of PERSONAL) expect(body, `${format}: ${word}`).not.toContain(word);
    }
  });

  it("gives the same pseudonyms after a restart", async () => {
    const extra = { HOME_USAGE_NAMES: "pseudonymous", HOME_USAGE_PSEUDONYM_SECRET: SECRET };
    const first = await serverWith(extra);
    const before = await (await first.get(`/usage/login/users?${RANGE}&content_type=csv`)).text();
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    const second = await serverWith(extra);
    expect(await (await second.get(`/usage/login/users?${RANGE}&content_type=csv`)).text()).toBe(before);
  });

  it("shows no name on the page, in charts or in any other export", async () => {
    const s = await serverWith({ HOME_USAGE_NAMES: "pseudonymous", HOME_USAGE_PSEUDONYM_SECRET: SECRET });
    for (const path of OTHER_ROUTES) {
      const res = await s.get(path);
      expect(res.status, path).toBe(200);
      const body = await res.text();
      for (const word of PERSONAL) expect(body, `${path}: ${word}`).not.toContain(word);
    }
  });
});

describe("HOME_USAGE_NAMES=hidden", () => {
  it("answers the people list with 403 naming the setting, in every format", async () => {
    const s = await serverWith({ HOME_USAGE_NAMES: "hidden" });
    for (const format of FORMATS) {
      const res = await s.get(`/usage/login/users?${RANGE}&content_type=${format}`);
      expect(res.status, format).toBe(403);
      expect(res.headers.get("content-type")).toContain("application/json");
      const body = await res.json();
      expect(body.message).toContain("HOME_USAGE_NAMES");
      expect(JSON.stringify(body)).not.toMatch(/anna|bernd|carla/);
    }
  });

  it("still answers counts, charts and the page, without a name", async () => {
    const s = await serverWith({ HOME_USAGE_NAMES: "hidden" });
    for (const path of OTHER_ROUTES) {
      const res = await s.get(path);
      expect(res.status, path).toBe(200);
      const body = await res.text();
      for (const word of PERSONAL) expect(body, `${path}: ${word}`).not.toContain(word);
    }
  });
});
