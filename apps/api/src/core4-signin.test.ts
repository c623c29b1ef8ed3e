// Signing in with core4's accounts, core4's JWTs, sessions that end, and the sign-in's defences: the API
// really listening on port 0, against sys.role in the test database.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { loadConfig, runAggregation } from "@home-usage/core";
import { JSDOM } from "jsdom";
import { ObjectId } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import winston from "winston";
import { databaseEnv, useTestDatabase } from "../../../tools/test/database.js";
import { createServer } from "./server.js";

const t = useTestDatabase("api_core4");
const NOW = "2026-11-25T12:00:00Z";
const PERMISSION = "api://home.usage";
const API_TOKEN = "api-token-for-tests-0123456789";

const fixtures = new URL("../../../packages/core/src/accounts/fixtures/", import.meta.url);
const hashes = JSON.parse(readFileSync(new URL("password-hashes.json", fixtures), "utf8")) as {
  hashes: { source: string; password: string; hash: string }[];
};
const tokens = JSON.parse(readFileSync(new URL("core4-tokens.json", fixtures), "utf8")) as {
  secret: string;
  tokens: Record<string, string>;
};
const made = (prefix: string) =>
  hashes.hashes.find((h) => h.source === "werkzeug" && h.hash.startsWith(prefix)) as { password: string; hash: string };
const SCRYPT = made("scrypt:32768:8:1$");
const PBKDF2 = made("pbkdf2:sha256:600000$");
const REFUSED = "name or password not valid";

const group = { readers: new ObjectId("670000000000000000000001"), team: new ObjectId("670000000000000000000002") };
const account = (name: string, hash: string, extra: Record<string, unknown> = {}) => ({
  name,
  email: `${name}@example.com`,
  password: hash,
  is_active: true,
  perm: [],
  role: [],
  ...extra,
});

/** A logger that keeps its lines, to check what a sign-in leaves in the log. */
function keptLogger(lines: string[]) {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk).replace(/\n$/, ""));
      done();
    },
  });
  return winston.createLogger({
    format: winston.format.printf((info) => `${info.level} ${info.message}`),
    transports: [new winston.transports.Stream({ stream })],
  });
}

interface Served {
  base: string;
  lines: string[];
  /** Moves the server's clock. */
  advance: (ms: number) => void;
  close: () => Promise<void>;
}

const served: Served[] = [];
async function serve(extra: Record<string, string> = {}): Promise<Served> {
  let now = new Date(NOW).getTime();
  const lines: string[] = [];
  const logger = keptLogger(lines);
  const config = await loadConfig({
    env: {
      ...databaseEnv(t),
      HOME_USAGE_ROLES: `${t.name}.sys.role`,
      HOME_USAGE_CORE4_PERMISSION: PERMISSION,
      HOME_USAGE_CORE4_TOKEN_SECRET: tokens.secret,
      ...extra,
    },
  });
  const server = createServer({ client: t.client, config, logger, clock: () => new Date(now) }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  const handle: Served = {
    base: `http://127.0.0.1:${port}`,
    lines,
    advance: (ms) => {
      now += ms;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  served.push(handle);
  return handle;
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };
const signIn = (s: Served, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${s.base}/signin`, {
    method: "POST",
    redirect: "manual",
    headers: { ...FORM, ...headers },
    body: new URLSearchParams({ next: "/usage/login", ...fields }).toString(),
  });
const cookieOf = (res: Response) => (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
const raw = (s: Served, headers: Record<string, string>) =>
  fetch(`${s.base}/usage/login/raw?start=2026-11-16&end=2026-11-25`, { headers, redirect: "manual" });
const errorText = async (res: Response) =>
  new JSDOM(await res.text()).window.document.querySelector(".error")?.textContent ?? "";

beforeAll(async () => {
  await t.db
    .collection("sys.role")
    .insertMany([
      { _id: group.readers, name: "readers", is_active: true, perm: [PERMISSION], role: [] },
      { _id: group.team, name: "team", is_active: true, perm: [], role: [group.readers] },
      account("ann", SCRYPT.hash, { role: [group.team] }),
      account("pia", PBKDF2.hash, { perm: [PERMISSION] }),
      account("bob", SCRYPT.hash, { perm: ["api://other"] }),
      account("off", SCRYPT.hash, { perm: [PERMISSION], is_active: false }),
      account("old", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", { perm: [PERMISSION] }),
    ]);
  await t.db.collection("sys.log").insertMany([
    { created: new Date("2026-11-16T08:00:00Z"), message: "successful login", user: "ann" },
    { created: new Date("2026-11-24T08:00:00Z"), message: "successful login", user: "pia" },
  ]);
  const config = await loadConfig({ env: { ...databaseEnv(t), HOME_USAGE_NOW: NOW } });
  await runAggregation({ client: t.client, config, start: undefined, host: "test", pid: process.pid });
});

afterAll(async () => {
  await Promise.all(served.map((s) => s.close()));
});

describe("signing in with a core4 account", { timeout: 60_000 }, () => {
  it("asks for username and password, and a page that names who is signed in, with a sign-out", async () => {
    const s = await serve();
    const page = await fetch(`${s.base}/usage/login`, { redirect: "manual" });
    expect(page.status).toBe(303);
    const form = new JSDOM(await (await fetch(`${s.base}/signin`)).text()).window.document;
    expect([...form.querySelectorAll("form.signin input")].map((i) => i.getAttribute("name"))).toEqual([
      "next",
      "username",
      "password",
    ]);

    for (const { name, password } of [
      { name: "ann", password: SCRYPT.password },
      { name: "pia", password: PBKDF2.password },
    ]) {
      const res = await signIn(s, { username: name, password });
      expect(res.status, name).toBe(303);
      expect(res.headers.get("location")).toBe("./usage/login");
      expect(res.headers.get("set-cookie")).toMatch(
        /^home_usage_session=[\w.-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/,
      );
      const cookie = cookieOf(res);
      expect(cookie).not.toContain(password);
      const doc = new JSDOM(await (await fetch(`${s.base}/usage/login`, { headers: { cookie } })).text()).window
        .document;
      expect(doc.querySelector(".who")?.textContent).toBe(`Signed in as ${name}`);
      expect(doc.querySelector('form[action="../signout"] button')?.textContent).toBe("Sign out");
      const data = await raw(s, { cookie });
      expect(data.status).toBe(200);
      expect(data.headers.get("cache-control")).toMatch(/private|no-store/);
    }
    expect(s.lines).toContain(`info sign-in: "ann" from 127.0.0.1: signed in (core4 account, scrypt:32768:8:1)`);
    expect(s.lines).toContain(`info sign-in: "pia" from 127.0.0.1: signed in (core4 account, pbkdf2:sha256:600000)`);
  });

  it("says exactly 'name or password not valid' for every failure, and logs why without the password", async () => {
    const s = await serve();
    const attempts = [
      { username: "ann", password: "not her password" },
      { username: "nobody-at-all", password: SCRYPT.password },
      { username: "off", password: SCRYPT.password },
      { username: "bob", password: SCRYPT.password },
      { username: "old", password: "whatever it was" },
      { username: "ann", password: "" },
    ];
    for (const attempt of attempts) {
      const res = await signIn(s, attempt);
      expect(res.status, attempt.username).toBe(401);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(await errorText(res)).toBe(REFUSED);
    }
    const log = s.lines.join("\n");
    expect(log).toContain(`sign-in: "ann" from 127.0.0.1: refused (wrong password)`);
    expect(log).toContain("sign-in: an unknown name from 127.0.0.1: refused (unknown name)");
    expect(log).toContain(`sign-in: "off" from 127.0.0.1: refused (disabled)`);
    expect(log).toContain(`sign-in: "bob" from 127.0.0.1: refused (no permission)`);
    expect(log).toContain(
      `error sign-in: "old" from 127.0.0.1: refused: the account's password in sys.role is of a format home-usage cannot verify: $2b$`,
    );
    for (const secret of [SCRYPT.password, "not her password", "whatever it was", "R9h/cIPz0gi", "nobody-at-all"]) {
      expect(log).not.toContain(secret);
    }
  });

  it("an unknown name takes as long as a wrong password", async () => {
    const s = await serve({ HOME_USAGE_TRUST_PROXY: "true" });
    const time = async (username: string, i: number) => {
      const began = performance.now();
      // Each from an address of its own, and fewer than 10 for one name: the throttle stays out of it.
      await signIn(s, { username, password: "wrong" }, { "x-forwarded-for": `10.7.${i}.${username.length}` });
      return performance.now() - began;
    };
    const wrong: number[] = [];
    const unknown: number[] = [];
    // Interleaved, so that a busy moment of the machine falls on both alike.
    for (let i = 0; i < 7; i++) {
      wrong.push(await time("ann", i));
      unknown.push(await time(`nobody-${i}`, i));
    }
    const median = (times: number[]) => times.sort((a, b) => a - b)[3] as number;
    // Without the dummy hash an unknown name answers without a scrypt's work: a small fraction of the time.
    expect(median(unknown) / median(wrong)).toBeGreaterThan(0.6);
    expect(median(unknown) / median(wrong)).toBeLessThan(1.8);
  });
});

describe("the sign-in's throttle", { timeout: 60_000 }, () => {
  it("answers 429 with Retry-After after 10 failures from one address, right password or not, for 10 minutes", async () => {
    const s = await serve();
    for (let i = 0; i < 10; i++) {
      expect((await signIn(s, { username: `guess-${i}`, password: "x" })).status).toBe(401);
    }
    const blocked = await signIn(s, { username: "ann", password: SCRYPT.password });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("set-cookie")).toBeNull();
    const wait = Number(blocked.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(600);
    expect(s.lines).toContain(
      `warn sign-in: a name and password from 127.0.0.1: refused, 10 failed sign-ins within 10 minutes; retry after ${wait} s`,
    );
    // Names that are no account never reach the log: one may be a password typed into the wrong field.
    expect(s.lines.join("\n")).not.toContain("guess-");
    // A token typed into the form comes from the same address: refused too.
    expect((await signIn(s, { token: "api-token-guess-0123456789" })).status).toBe(429);
    s.advance(wait * 1000);
    expect((await signIn(s, { username: "ann", password: SCRYPT.password })).status).toBe(303);
  });

  it("answers 429 after 10 failures for one name, from any address", async () => {
    const s = await serve({ HOME_USAGE_TRUST_PROXY: "true" });
    const from = (i: number) => ({ "x-forwarded-for": `10.0.0.${i}` });
    for (let i = 0; i < 10; i++) {
      expect((await signIn(s, { username: "ann", password: `guess ${i}` }, from(i))).status).toBe(401);
    }
    const blocked = await signIn(s, { username: "ANN", password: SCRYPT.password }, from(99));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another name from a fresh address is not held up.
    expect((await signIn(s, { username: "pia", password: PBKDF2.password }, from(98))).status).toBe(303);
    // Failures older than 10 minutes no longer count.
    s.advance(10 * 60_000);
    expect((await signIn(s, { username: "ann", password: SCRYPT.password }, from(97))).status).toBe(303);
  });

  it("counts wrong API tokens typed into the form", async () => {
    const s = await serve({ HOME_USAGE_API_TOKENS: API_TOKEN });
    for (let i = 0; i < 10; i++) {
      const res = await signIn(s, { token: `wrong-token-${i}-0123456789` });
      expect(res.status).toBe(401);
    }
    const blocked = await signIn(s, { token: API_TOKEN });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("wrong bearer tokens", { timeout: 60_000 }, () => {
  it("are throttled like failed sign-ins: 429 with Retry-After after 10 from one address, the right token too", async () => {
    const s = await serve({ HOME_USAGE_API_TOKENS: API_TOKEN, HOME_USAGE_TRUST_PROXY: "true" });
    const from = (address: string, token: string) => ({ authorization: `Bearer ${token}`, "x-forwarded-for": address });
    for (let i = 0; i < 10; i++) {
      expect((await raw(s, from("10.0.0.1", `wrong-token-${i}-0123456789`))).status).toBe(401);
    }
    const blocked = await raw(s, from("10.0.0.1", API_TOKEN));
    expect(blocked.status).toBe(429);
    const wait = Number(blocked.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(600);
    const body = (await blocked.json()) as { code: number; message: string };
    expect(body.code).toBe(429);
    expect(body.message).toBe("10 wrong tokens from this address within 10 minutes; try again in 10 minutes");
    // The token itself never reaches the answer.
    expect(JSON.stringify(body)).not.toContain("wrong-token");
    // Another address is not held up, and the address may try again once the window has passed.
    expect((await raw(s, from("10.0.0.2", API_TOKEN))).status).toBe(200);
    s.advance(wait * 1000);
    expect((await raw(s, from("10.0.0.1", API_TOKEN))).status).toBe(200);
  });
});

describe("core4's JWTs as bearer tokens", { timeout: 60_000 }, () => {
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it("lets a valid HS256 token in; 401 for expired, foreign-key, alg none, HS512 and unsigned; 403 without the permission", async () => {
    const s = await serve({ HOME_USAGE_API_TOKENS: API_TOKEN });
    const valid = await raw(s, bearer(tokens.tokens.valid as string));
    expect(valid.status).toBe(200);
    expect(valid.headers.get("cache-control")).toMatch(/private|no-store/);
    for (const name of ["expired", "foreign_key", "alg_none", "hs512", "no_exp"]) {
      const res = await raw(s, bearer(tokens.tokens[name] as string));
      expect(res.status, name).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(res.headers.get("cache-control")).toBe("no-store");
      const body = await res.json();
      expect(body).toMatchObject({ code: 401, error: { type: "unauthorized" } });
      expect(JSON.stringify(body)).not.toContain((tokens.tokens[name] as string).split(".")[2] || "§");
    }
    const forbidden = await raw(s, bearer(tokens.tokens.valid_no_permission as string));
    expect(forbidden.status).toBe(403);
    expect((await forbidden.json()).error.type).toBe("forbidden");
    // Static tokens keep working for scripts and wikis.
    expect((await raw(s, bearer(API_TOKEN))).status).toBe(200);
    // The page answers a token without the permission with 403 too, not with the sign-in form.
    const page = await fetch(`${s.base}/usage/login`, {
      headers: bearer(tokens.tokens.valid_no_permission as string),
      redirect: "manual",
    });
    expect(page.status).toBe(403);
  });

  it("needs HOME_USAGE_CORE4_PERMISSION beside HOME_USAGE_CORE4_TOKEN_SECRET", async () => {
    await expect(serve({ HOME_USAGE_CORE4_PERMISSION: "" })).rejects.toThrow(/HOME_USAGE_CORE4_PERMISSION/);
  });
});

describe("caching what needs a token", { timeout: 60_000 }, () => {
  it("says private or no-store on every answer of a route that needs a token, errors included", async () => {
    const s = await serve({ HOME_USAGE_API_TOKENS: API_TOKEN });
    const headers = { authorization: `Bearer ${API_TOKEN}` };
    for (const path of [
      "/usage/login/raw?start=2026-11-16&end=2026-11-25",
      "/usage/login/raw?start=2026-11-16&end=2026-11-25&content_type=csv",
      "/usage/login/raw?start=soon",
      "/usage/login/users",
      "/usage/login/plot.svg",
      "/openapi.json",
      "/usage/login",
    ]) {
      const res = await fetch(`${s.base}${path}`, { headers });
      expect(res.status, path).toBeLessThan(500);
      expect(res.headers.get("cache-control"), path).toMatch(/private|no-store/);
    }
  });
});

describe("sessions end", { timeout: 60_000 }, () => {
  it("when the account is disabled or loses the permission, within the re-check", async () => {
    const s = await serve();
    const ann = cookieOf(await signIn(s, { username: "ann", password: SCRYPT.password }));
    const pia = cookieOf(await signIn(s, { username: "pia", password: PBKDF2.password }));
    expect((await raw(s, { cookie: ann })).status).toBe(200);
    await t.db.collection("sys.role").updateOne({ name: "ann" }, { $set: { is_active: false } });
    await t.db.collection("sys.role").updateOne({ name: "pia" }, { $set: { perm: [] } });
    try {
      s.advance(5 * 60_000);
      const data = await raw(s, { cookie: ann });
      expect(data.status).toBe(401);
      expect((await data.json()).message).toMatch(/session has ended.*disabled/);
      const page = await fetch(`${s.base}/usage/login`, { headers: { cookie: pia }, redirect: "manual" });
      expect(page.status).toBe(303);
      expect(page.headers.get("location")).toBe("../signin?next=%2Fusage%2Flogin&ended=1");
      // Ended for good: re-enabling the account does not revive the old session.
      await t.db.collection("sys.role").updateOne({ name: "ann" }, { $set: { is_active: true } });
      s.advance(5 * 60_000);
      expect((await raw(s, { cookie: ann })).status).toBe(401);
    } finally {
      await t.db.collection("sys.role").updateOne({ name: "ann" }, { $set: { is_active: true } });
      await t.db.collection("sys.role").updateOne({ name: "pia" }, { $set: { perm: [PERMISSION] } });
    }
  });

  it("when its person signs out: the old cookie no longer works, anywhere", async () => {
    const s = await serve();
    const cookie = cookieOf(await signIn(s, { username: "ann", password: SCRYPT.password }));
    expect((await raw(s, { cookie })).status).toBe(200);
    const out = await fetch(`${s.base}/signout`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, origin: s.base, "sec-fetch-site": "same-origin" },
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/^home_usage_session=; Path=\/; Max-Age=0/);
    // A copy of the cookie kept from before (another tab, a stolen one) is refused.
    expect((await raw(s, { cookie })).status).toBe(401);
    const page = await fetch(`${s.base}/usage/login`, { headers: { cookie }, redirect: "manual" });
    expect(page.status).toBe(303);
    expect(s.lines).toContain(`info sign-out: "ann" from 127.0.0.1`);
  });
});

describe("forms from another site", { timeout: 60_000 }, () => {
  it("refuses a sign-in or sign-out posted from another origin (login CSRF)", async () => {
    const s = await serve({ HOME_USAGE_PUBLIC_URL: "https://usage.example.com" });
    const right = { username: "ann", password: SCRYPT.password };
    const foreign: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site", origin: "https://other.example.com" },
      { "sec-fetch-site": "cross-site", origin: "https://usage.example.com" },
    ];
    for (const headers of foreign) {
      const res = await signIn(s, right, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect((await res.json()).error.type).toBe("forbidden");
    }
    // The server's own origin, as the request names it or as HOME_USAGE_PUBLIC_URL does, signs in.
    const own: Record<string, string>[] = [
      { origin: s.base },
      { origin: "https://usage.example.com" },
      { "sec-fetch-site": "same-origin", origin: "https://usage.example.com" },
      {},
    ];
    for (const headers of own) {
      expect((await signIn(s, right, headers)).status, JSON.stringify(headers)).toBe(303);
    }
    const cookie = cookieOf(await signIn(s, right));
    const out = await fetch(`${s.base}/signout`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "sec-fetch-site": "cross-site" },
    });
    expect(out.status).toBe(403);
    expect((await raw(s, { cookie })).status).toBe(200);
  });
});

describe("home-usage-api with core4 sign-in, the process", { timeout: 60_000 }, () => {
  const bin = fileURLToPath(new URL("../dist/index.js", import.meta.url));
  const run = (env: Record<string, string>, args: string[]) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? "", MONGODB_URI: t.uri, ...env },
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    return { child, stderr: () => stderr };
  };

  it("listens beyond loopback without API tokens when core4 sign-in guards it", async () => {
    const { child, stderr } = run({ HOME_USAGE_CORE4_PERMISSION: PERMISSION }, ["--host", "0.0.0.0", "--port", "0"]);
    try {
      await expect.poll(stderr, { timeout: 20_000 }).toMatch(/listening on http:\/\/0\.0\.0\.0:\d+/);
      expect(stderr()).not.toContain("anyone");
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.on("close", resolve));
    }
  });

  it("refuses HOME_USAGE_CORE4_TOKEN_SECRET without HOME_USAGE_CORE4_PERMISSION as a usage error, secret unsaid", async () => {
    const { child, stderr } = run({ HOME_USAGE_CORE4_TOKEN_SECRET: tokens.secret }, ["--port", "0"]);
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(code).toBe(2);
    expect(stderr().trim()).toBe(
      "home-usage-api: HOME_USAGE_CORE4_TOKEN_SECRET needs HOME_USAGE_CORE4_PERMISSION: the permission a token's account must hold",
    );
  });
});
