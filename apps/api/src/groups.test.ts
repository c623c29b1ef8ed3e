// /usage/login/groups, the groups chart, its embed and the page's Teams section, really listening on port 0.
import type { AddressInfo } from "node:net";
import { loadConfig, runAggregation, signEmbedToken } from "@home-usage/core";
import { JSDOM } from "jsdom";
import { ObjectId } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import winston from "winston";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { createServer } from "./server.js";

const t = useTestDatabase("api_groups");
const NOW = "2026-11-25T12:00:00Z";
const SECRET = "embed-secret-for-tests-0123456789";
const K = 3;

const division = new ObjectId("670000000000000000000001");
const team = new ObjectId("670000000000000000000002");
const pair = new ObjectId("670000000000000000000003");
/** core4's sys.role: a division, a team inside it, a group of two; accounts refer to them by ObjectId. */
const ROLES = [
  { _id: division, name: "division", is_active: true, role: [] },
  { _id: team, name: "team", is_active: true, role: [division] },
  { _id: pair, name: "pair", is_active: true, role: [] },
  ...["ann", "bob", "cid", "dee"].map((name) => ({
    name,
    email: `${name}@example.com`,
    is_active: true,
    role: [team],
  })),
  ...["eve", "fay"].map((name) => ({ name, email: `${name}@example.com`, is_active: true, role: [pair] })),
  { name: "gus", email: "gus@example.com", is_active: true, role: [] },
];
/** [user, instant]: W47 has the whole team, W48 two of it; zed has no account. */
const LOGINS: [string, string][] = [
  ["ann", "2026-11-16T08:00:00Z"],
  ["bob", "2026-11-17T08:00:00Z"],
  ["cid", "2026-11-18T08:00:00Z"],
  ["cid", "2026-11-18T09:00:00Z"],
  ["eve", "2026-11-18T10:00:00Z"],
  ["fay", "2026-11-19T10:00:00Z"],
  ["gus", "2026-11-20T10:00:00Z"],
  ["zed", "2026-11-20T11:00:00Z"],
  ["ann", "2026-11-23T08:00:00Z"],
  ["dee", "2026-11-24T08:00:00Z"],
];
const GROUPS = ["division", "pair", "team", "(none)", "(no account)"];
const MEMBERS: Record<string, string[]> = {
  division: ["ann", "bob", "cid", "dee"],
  team: ["ann", "bob", "cid", "dee"],
  pair: ["eve", "fay"],
  "(none)": ["gus"],
  "(no account)": ["zed"],
};

/** The rows as the issue defines them, counted from LOGINS and MEMBERS alone. */
function expected() {
  return [
    ["2026-W47", "2026-11-16T00:00:00.000Z", "2026-11-16", "2026-11-23"],
    ["2026-W48", "2026-11-23T00:00:00.000Z", "2026-11-23", "2026-11-30"],
  ].flatMap(([period, timestamp, from, to]) =>
    GROUPS.map((group) => {
      const mine = LOGINS.filter(
        ([u, at]) => MEMBERS[group]?.includes(u) && at >= (from as string) && at < (to as string),
      );
      const user = new Set(mine.map(([u]) => u)).size;
      const suppressed = user > 0 && user < K;
      return {
        timestamp,
        period,
        group,
        user: suppressed ? null : user,
        logins: suppressed ? null : mine.length,
        suppressed,
      };
    }),
  );
}

let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const env = {
    ...databaseEnv(t),
    HOME_USAGE_NOW: NOW,
    HOME_USAGE_EMBED_SECRET: SECRET,
    HOME_USAGE_ROLES: `${t.name}.sys.role`,
    HOME_USAGE_MIN_GROUP_SIZE: String(K),
  };
  const config = await loadConfig({ env });
  await t.db
    .collection("sys.log")
    .insertMany(LOGINS.map(([user, at]) => ({ created: new Date(at), message: "successful login", user })));
  await t.db.collection("sys.role").insertMany(ROLES.map((r) => ({ ...r })));
  await runAggregation({ client: t.client, config, host: "test", pid: process.pid });
  const server = createServer({ client: t.client, config, logger: winston.createLogger({ silent: true }) }).listen(
    0,
    "127.0.0.1",
  );
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r()));
});

afterAll(async () => close?.());

const RANGE = "start=2026-11-16&end=2026-11-30&aggregate=w";
const get = (path: string) => fetch(`${base}${path}`);

describe("/usage/login/groups", () => {
  it("answers one row per period and group, small groups suppressed", async () => {
    const res = await get(`/usage/login/groups?${RANGE}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.data).toEqual(expected());
    // The threshold hides 1 to k−1, not 0.
    expect(
      body.data.filter((r: { suppressed: boolean }) => r.suppressed).map((r: { group: string }) => r.group),
    ).toEqual(["pair", "(none)", "(no account)", "division", "team"]);
  });

  it("suppresses the same cells in CSV, text, markdown and HTML (empty, or null as in JSON)", async () => {
    const rows = expected();
    const csv = await (await get(`/usage/login/groups?${RANGE}&content_type=csv`)).text();
    const lines = csv.trim().split("\n");
    expect(lines[0]).toBe("timestamp,period,group,user,logins,suppressed");
    expect(lines.slice(1)).toEqual(
      rows.map((r) => [r.timestamp, r.period, r.group, r.user ?? "", r.logins ?? "", r.suppressed].join(",")),
    );

    const text = (await (await get(`/usage/login/groups?${RANGE}&content_type=text`)).text()).trim().split("\n");
    expect(text[0]?.split(/\s+/)).toEqual(["timestamp", "period", "group", "user", "logins", "suppressed"]);
    expect(text.slice(1).map((l) => l.split(/\s{2,}/))).toEqual(
      rows.map((r) =>
        r.suppressed
          ? [r.timestamp, r.period, r.group, "yes"]
          : [r.timestamp, r.period, r.group, String(r.user), String(r.logins), "no"],
      ),
    );

    const markdown = (await (await get(`/usage/login/groups?${RANGE}&content_type=markdown`)).text())
      .trim()
      .split("\n");
    const cells = markdown.slice(2).map((l) =>
      l
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim()),
    );
    expect(cells).toEqual(
      rows.map((r) => [r.timestamp, r.period, r.group, String(r.user), String(r.logins), String(r.suppressed)]),
    );

    const html = new JSDOM(await (await get(`/usage/login/groups?${RANGE}&content_type=html`)).text()).window.document;
    const htmlCells = [...html.querySelectorAll("tbody tr")].map((tr) =>
      [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim()),
    );
    expect(htmlCells).toEqual(
      rows.map((r) => [r.timestamp, r.period, r.group, String(r.user), String(r.logins), String(r.suppressed)]),
    );
  });

  it("refuses what /raw refuses, as a 400 in the envelope", async () => {
    const res = await get("/usage/login/groups?aggregate=fortnight");
    expect(res.status).toBe(400);
    expect((await res.json()).error.detail).toMatch(/^aggregate: unknown "fortnight"/);
    expect((await get("/usage/login/groups?metric=groups")).status).toBe(400);
  });
});

describe("the groups chart", () => {
  const labels = (svg: string) =>
    [...new JSDOM(svg, { contentType: "image/svg+xml" }).window.document.querySelectorAll("text")].map(
      (e) => e.textContent ?? "",
    );

  it("draws the groups with enough people as lines labelled at their ends, and nothing smaller", async () => {
    const res = await get(`/usage/login/plot.svg?${RANGE}&metric=groups`);
    expect(res.status).toBe(200);
    const svg = await res.text();
    const text = labels(svg);
    expect(text).toContain("Distinct people by group per week");
    // division and team have 4 people in the range; pair (2), (none) and (no account) (1 each) are under k.
    expect(text).toContain("division");
    expect(text).toContain("team");
    expect(text).toContain("other");
    for (const small of ["pair", "(none)", "(no account)"]) expect(text).not.toContain(small);
    // other is pair, (none) and (no account) together: 4 people in W47, none in W48.
    expect(svg).toMatch(/<desc>[^<]*Latest week, 2026-W48: division too few to show, team too few to show, other 0\./);
    // W48 is in progress on the 25th: its points are hollow, and the legend says what that means.
    expect(text).toContain("○ incomplete period");
    expect(svg).toMatch(/<title>other, 2026-W48 \(incomplete\): 0<\/title>/);
    expect(svg).not.toMatch(/2026-W47 \(incomplete\)/);
  });

  it("comes the same from a signed embed URL that carries metric=groups", async () => {
    const token = signEmbedToken(
      { start: "2026-11-16", end: "2026-11-30", aggregate: "w", metric: "groups" },
      { secret: SECRET, expires: new Date("2027-01-01T00:00:00Z") },
    );
    const embedded = await get(`/usage/login/embed/${token}.svg`);
    expect(embedded.status).toBe(200);
    const direct = await get(`/usage/login/plot.svg?${RANGE}&metric=groups`);
    expect(embedded.headers.get("etag")).toBe(direct.headers.get("etag"));
    const png = await get(`/usage/login/embed/${token}.png`);
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
  });

  it("has a Teams section on the page, with suppressed cells marked and no figure under k", async () => {
    const doc = new JSDOM(await (await get(`/usage/login?${RANGE}`)).text()).window.document;
    const section = doc.querySelector("#teams");
    expect(section?.querySelector("h2")?.textContent).toMatch(/^Teams/);
    expect(section?.querySelectorAll("svg")).toHaveLength(2);
    const table = [...(section?.querySelectorAll("tbody tr") ?? [])].map((tr) => [
      tr.querySelector("th")?.textContent,
      ...[...tr.querySelectorAll("td")].map((td) => td.textContent),
    ]);
    const rows = expected();
    expect(table).toEqual(
      GROUPS.map((group) => [
        group,
        ...["2026-W47", "2026-W48"].map((period) => {
          const row = rows.find((r) => r.group === group && r.period === period);
          return row?.suppressed ? `<${K}` : String(row?.user);
        }),
      ]),
    );
    expect(section?.querySelector("a")?.getAttribute("href")).toMatch(/\/usage\/login\/groups\?.*content_type=csv/);
  });
});
